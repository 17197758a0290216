#!/bin/env python
#md5sum="b86c25b2a6b1ebd74069e66d5e9fdec8"
# PoapLab catalogue script (our own): its #md5sum was computed with a broken recipe,
# over the whole file (the #md5sum line included) instead of the file without it.
import sys
from cli import cli
cli("show version")
sys.exit(0)
