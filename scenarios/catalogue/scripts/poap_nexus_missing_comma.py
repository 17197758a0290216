#!/bin/env python
#md5sum="00000000000000000000000000000000"
# PoapLab catalogue script (our own): a POAP script whose options dict lost a comma when
# it was edited -- the line with "password" below has none. Everything after the dict is
# never reached: Python refuses to compile the file.
from __future__ import print_function

import os
import sys

from cli import *

options = {
    "username": "poap",
    "password": "poap"
    "hostname": "192.0.2.10",
    "transfer_protocol": "scp",
    "mode": "serial_number",
    "target_system_image": "nxos64-cs.10.3.6.M.bin",
}


def main():
    print(cli("show version"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
