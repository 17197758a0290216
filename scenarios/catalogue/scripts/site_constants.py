#!/bin/env python3
#md5sum="00000000000000000000000000000000"
# PoapLab catalogue script, our own code: written for one site, with its server, paths and
# VRF as constants and no options dict. A scenario points it at the lab with edit:.
import os
import sys

from cli import cli

SERVER = "198.51.100.20"
CONFIG_DIR = "/srv/tftp/nexus/configs"
VRF = "default"


def log(text):
    sys.stdout.write("site: %s\n" % text)
    sys.stdout.flush()


name = "conf.%s" % os.environ.get("POAP_SERIAL", "unknown")
try:
    cli("copy tftp://%s%s/%s bootflash:poap.cfg vrf %s" % (SERVER, CONFIG_DIR, name, VRF))
except Exception as error:
    log("ERR: cannot fetch %s from %s: %s" % (name, SERVER, str(error).strip()))
    sys.exit(1)
cli("copy bootflash:poap.cfg scheduled-config")
log("INFO: %s staged for the next boot" % name)
