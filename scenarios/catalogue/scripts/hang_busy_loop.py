#!/bin/env python
# PoapLab catalogue script: hangs (a busy loop waiting on something that never happens),
# like a script stuck polling a copy that never finishes. Our own code.
import time
from cli import *

cli("show version")
deadline = 0
while True:
    deadline += 1
