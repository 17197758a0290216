#!/bin/env python
#md5sum=9c2c9751d5bfc02acb139213650a7eb4
# PoapLab catalogue script (our own): a minimal POAP script whose #md5sum value is right
# but written without the double quotes N9K switches insist on.
import sys
from cli import cli
cli("show version")
sys.exit(0)
