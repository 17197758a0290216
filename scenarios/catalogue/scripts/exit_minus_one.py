#!/bin/env python
# PoapLab catalogue script: gives up with exit(-1), as the reference family does when
# `copy running-config startup-config` times out. Our own code.
import sys
from cli import *

cli("show version")
sys.exit(-1)
