#!/bin/env python
# PoapLab catalogue script: dies on an uncaught exception while parsing show version
# (a regex written for another release). Our own code.
import re
from cli import *

version = re.search(r"system:\s+version\s+(\S+)", cli("show version")).group(1)
print(version)
