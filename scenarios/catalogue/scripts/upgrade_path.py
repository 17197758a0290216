#!/bin/env python3
#md5sum="00000000000000000000000000000000"
# PoapLab catalogue script, our own code: its options hold a list (the upgrade path: images
# put on bootflash in order, the last one installed) and a mapping (serial -> configuration).
import os
import sys

from cli import cli

options = {
    "server": "192.0.2.10",
    "image_dir": "/images/",
    "upgrade_path": [],
    "config_by_serial": {},
    "vrf": "management",
}


def log(text):
    sys.stdout.write("upgrade: %s\n" % text)
    sys.stdout.flush()


def fail(text):
    log("ERR: " + text)
    sys.exit(1)


def fetch(remote, local):
    try:
        cli("terminal dont-ask ; copy tftp://%s%s bootflash:%s vrf %s" % (options["server"], remote, local, options["vrf"]))
    except Exception as error:
        fail("copy of %s failed: %s" % (remote, str(error).strip()))


path = options["upgrade_path"]
if not isinstance(path, list) or not path or not all(isinstance(p, str) and p.endswith(".bin") for p in path):
    fail("upgrade_path must be a non-empty list of image names, not %r" % (path,))
configs = options["config_by_serial"]
serial = os.environ.get("POAP_SERIAL", "")
if not isinstance(configs, dict) or serial not in configs:
    fail("config_by_serial has no configuration for serial %s" % serial)

for step, image in enumerate(path, 1):
    log("INFO: step %d of %d: %s" % (step, len(path), image))
    fetch(options["image_dir"] + image, image)
target = path[-1]
try:
    cli("terminal dont-ask ; install all nxos bootflash:%s no-reload non-interruptive" % target)
except Exception as error:
    fail("install all of %s failed: %s" % (target, str(error).strip()))
fetch("/configs/" + configs[serial], "poap.cfg")
cli("copy bootflash:poap.cfg scheduled-config")
log("INFO: %s installed, %s staged" % (target, configs[serial]))
