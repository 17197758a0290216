#!/bin/env python
#md5sum="8752485f5a3cae039dc6f8e18e9e8b42"
# PoapLab catalogue script (our own): Python 2 only. A print statement is a SyntaxError
# under Python 3, so on a 9.3+/10.x image the script dies before its first line runs.
import os
from cli import cli
print "POAP script for %s" % os.environ.get("POAP_SERIAL")
cli("show version")
