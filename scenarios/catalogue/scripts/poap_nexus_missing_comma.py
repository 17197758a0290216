#!/bin/env python
#md5sum="e43cfaf6f3f4acdcca7a9da2acd68d87"
#
# PoapLab POAP script for Cisco Nexus (NX-OS) switches.
#
# CATALOGUE COPY, BROKEN ON PURPOSE (failure mode 8): the comma after the "hostname"
# entry of the options dict is missing, as after a hurried edit. Do not fix it.
#
# Written for PoapLab from its switch contract; it is not Cisco's poap.py.
# Runs unchanged under Python 2.7 (7.x images) and Python 3 (9.3+ / 10.x).
#
# What it does, in order:
#   1. open a log file on bootflash and check the options below;
#   2. fetch the NX-OS image (unless it already runs or is already on flash)
#      and verify it against its <image>.md5 companion file;
#   3. fetch the switch's configuration (its name depends on "mode") and verify it;
#   4. stage the configuration as scheduled-config, set the boot image and
#      erase the startup-config so the switch applies everything after reload.
#
# After every edit recompute the #md5sum line (see README.md):
#   poaplab md5 poap_nexus.py --fix

from __future__ import print_function

import glob
import os
import re
import signal
import sys
import time
import traceback

import syslog

from cli import *  # noqa: F401,F403  (cli, clid, clip, cli_syntax_error, cmd_exec_error)

# ---------------------------------------------------------------------------
# Options: edit these. Keys left out take the defaults listed in README.md.
# ---------------------------------------------------------------------------
options = {
    "username": "poap",
    "password": "poap",
    "hostname": "192.0.2.10"
    "transfer_protocol": "scp",
    "mode": "serial_number",
    "target_system_image": "nxos64-cs.10.3.6.M.bin",
    "target_image_path": "/images/",
    "config_path": "/configs/",
    "required_space": 100000,
}

# ---------------------------------------------------------------------------
# Everything below normally needs no editing.
# ---------------------------------------------------------------------------

REQUIRED_OPTIONS = ("username", "password", "hostname", "target_system_image")

# Defaults for every optional key; None means "computed at run time".
OPTION_DEFAULTS = {
    "transfer_protocol": "scp",
    "mode": "serial_number",
    "target_image_path": "/",
    "config_path": "/",
    "destination_path": "/bootflash",
    "destination_system_image": None,
    "required_space": 100000,
    "disable_md5": False,
    "https_ignore_certificate": False,
    "use_nxos_boot": False,
    "vrf": None,
    "timeout_config": 120,
    "timeout_copy_system": 2100,
    "source_config_file": "poap.cfg",
}

# Keys the wider POAP script family knows but this script does not implement:
# refusing them is better than silently ignoring what the user asked for.
UNSUPPORTED_OPTIONS = ("midway_system_image", "install_path")

PROTOCOLS = ("scp", "sftp", "ftp", "tftp", "http", "https")
MODES = ("serial_number", "mac", "hostname", "location", "raw")

FIRST_SETUP_LOG = "/tmp/first_setup.log"
CONFIG_NAME = "poap.cfg"
STAGED_EARLY = "poap_1.cfg"
STAGED_MAIN = "poap_2.cfg"
LOGS_KEPT = 4

# Commands that only take effect after a reload: they go into the first
# scheduled-config file when the configuration has to be split.
EARLY_CONFIG = re.compile(
    br"^\s*(hardware\s+profile\s+tcam|system\s+vlan|system\s+routing|udf)\b")

MD5_ASSIGNMENT = re.compile(br"^\s*md5sum\s*=\s*\"?([0-9a-fA-F]{32})\"?\s*$")
MD5_WITH_NAME = re.compile(br"^\s*([0-9a-fA-F]{32})\s+\*?\S+")
MD5_BARE = re.compile(br"^\s*([0-9a-fA-F]{32})\s*$")
HEX32 = re.compile(r"\b([0-9a-fA-F]{32})\b")

SYSLOG_ALERT = 9  # LOG_USER | LOG_ALERT

serial = os.environ.get("POAP_SERIAL", "unknown-serial")
settings = {}
log_path = None
temp_files = []


# ---------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------

def to_bytes(text):
    if isinstance(text, bytes):
        return text
    return text.encode("utf-8", "replace")


def to_native(raw):
    """bytes (py3) or str (py2) read from a file -> the native str type."""
    if isinstance(raw, str):
        return raw
    return raw.decode("utf-8", "replace")


def log(message, important=False):
    line = "%s - %s" % (serial, message)
    try:
        print(line)
        sys.stdout.flush()
    except Exception:
        pass
    if log_path is not None:
        try:
            with open(log_path, "ab") as handle:
                handle.write(to_bytes(line) + b"\n")
        except (IOError, OSError):
            pass
    if important:
        try:
            syslog.syslog(SYSLOG_ALERT, line)
        except Exception:
            pass


def open_log():
    global log_path
    pid = os.environ.get("POAP_PID", str(os.getpid()))
    stamp = time.strftime("%Y%m%d%H%M%S", time.localtime(time.time()))
    log_path = "/bootflash/%s_poap_%s_script.log" % (stamp, pid)
    try:
        open(log_path, "ab").close()
    except (IOError, OSError) as error:
        log_path = None
        log("Cannot create the log file: %s" % error, important=True)
        return
    prune_logs()


def prune_logs():
    def age_key(path):
        try:
            return (os.path.getmtime(path), path)
        except OSError:
            return (0, path)

    logs = sorted(glob.glob("/bootflash/*poap*script.log"), key=age_key, reverse=True)
    kept = [log_path]
    for path in logs:
        if path == log_path:
            continue
        if len(kept) < LOGS_KEPT:
            kept.append(path)
            continue
        try:
            os.remove(path)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# Ending the run
# ---------------------------------------------------------------------------

def remove_temp_files():
    while temp_files:
        path = temp_files.pop()
        try:
            if os.path.exists(path):
                os.remove(path)
        except OSError:
            pass


def abort(message):
    log(message, important=True)
    log("POAP script failed; the switch will retry POAP", important=True)
    remove_temp_files()
    sys.exit(1)


def on_sigterm(signum, frame):
    log("Received SIGTERM (POAP aborted); cleaning up", important=True)
    remove_temp_files()
    sys.exit(1)


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------

def as_bool(key, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "yes", "1"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "no", "0", ""):
        return False
    abort("Option %s must be True or False, not %r" % (key, value))


def as_int(key, value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        abort("Option %s must be a non-negative number, not %r" % (key, value))
    return number


def check_options():
    for key in sorted(options):
        if key in UNSUPPORTED_OPTIONS:
            abort("Option %s is not supported by this script" % key)
        if key not in OPTION_DEFAULTS and key not in REQUIRED_OPTIONS:
            abort("Invalid option detected: %s" % key)
    for key in REQUIRED_OPTIONS:
        value = options.get(key)
        # An empty password is legitimate (anonymous tftp/http); nothing else may be empty.
        if value is None or (str(value) == "" and key != "password"):
            abort("Required option %s is missing" % key)

    settings.clear()
    settings.update(OPTION_DEFAULTS)
    settings.update(options)

    settings["transfer_protocol"] = str(settings["transfer_protocol"]).lower()
    if settings["transfer_protocol"] not in PROTOCOLS:
        abort("Invalid option detected: transfer_protocol %s (use one of %s)"
              % (settings["transfer_protocol"], ", ".join(PROTOCOLS)))
    if settings["mode"] == "personality":
        abort("Option mode personality is not supported by this script")
    if settings["mode"] not in MODES:
        abort("Invalid option detected: mode %s (use one of %s)"
              % (settings["mode"], ", ".join(MODES)))
    for key in ("disable_md5", "https_ignore_certificate", "use_nxos_boot"):
        settings[key] = as_bool(key, settings[key])
    for key in ("required_space", "timeout_config", "timeout_copy_system"):
        settings[key] = as_int(key, settings[key])
    if not settings["destination_system_image"]:
        settings["destination_system_image"] = settings["target_system_image"]
    if not settings["vrf"]:
        settings["vrf"] = os.environ.get("POAP_VRF", "")
        if not settings["vrf"]:
            settings["vrf"] = "management"
            log("POAP_VRF is not set; using vrf management", important=True)

    destination = "/" + str(settings["destination_path"]).strip("/")
    if destination != "/bootflash" and not destination.startswith("/bootflash/"):
        abort("Option destination_path must be under /bootflash, not %s"
              % settings["destination_path"])
    settings["destination_path"] = destination

    shown = dict(settings)
    shown["password"] = "****"
    for key in sorted(shown):
        log("option %s = %r" % (key, shown[key]))


# ---------------------------------------------------------------------------
# Paths and CLI
# ---------------------------------------------------------------------------

def local_path(name):
    """Where a file in destination_path lives in the script's filesystem."""
    return settings["destination_path"] + "/" + name


def flash_path(name):
    """The same file as the NX-OS CLI names it (bootflash:/dir/name)."""
    return "bootflash:" + settings["destination_path"][len("/bootflash"):] + "/" + name


def remote_path(directory, name):
    directory = str(directory or "/")
    if not directory.startswith("/"):
        directory = "/" + directory
    if not directory.endswith("/"):
        directory += "/"
    return directory + name


def run(command):
    log("CLI: %s" % command.replace(
        "terminal password %s" % settings.get("password", ""), "terminal password ****"))
    return cli(command)


def flash_md5(name):
    try:
        output = run("show file %s md5sum" % flash_path(name).replace(":/", ":", 1))
    except (cmd_exec_error, cli_syntax_error) as error:
        log("Cannot compute the MD5 of %s: %s" % (name, error))
        return None
    match = HEX32.search(output)
    if match is None:
        return None
    return match.group(1).lower()


def download(directory, name, destination, timeout):
    """Copy <directory>/<name> from the server to destination (via a .tmp file)."""
    source = "%s://%s@%s%s" % (settings["transfer_protocol"], settings["username"],
                               settings["hostname"], remote_path(directory, name))
    tmp_name = destination + ".tmp"
    command = "terminal dont-ask ; terminal password %s ; copy %s %s" % (
        settings["password"], source, flash_path(tmp_name))
    if settings["transfer_protocol"] == "https" and settings["https_ignore_certificate"]:
        command += " ignore-certificate"
    command += " vrf %s" % settings["vrf"]

    temp_files.append(local_path(tmp_name))
    log("Downloading %s to %s (timeout %d s)" % (source, flash_path(destination), timeout),
        important=True)
    started = time.time()
    try:
        run(command)
    except (cmd_exec_error, cli_syntax_error) as error:
        abort("Copy of %s failed: %s" % (source, str(error).strip()))
    if not os.path.exists(local_path(tmp_name)):
        abort("Copy of %s did not create %s" % (source, flash_path(tmp_name)))
    os.rename(local_path(tmp_name), local_path(destination))
    log("Downloaded %s in %d s" % (flash_path(destination), int(time.time() - started)))


def read_companion_md5(directory, name):
    """Fetch <name>.md5 and return (hash or None, reason)."""
    companion = name + ".md5"
    download(directory, companion, companion, settings["timeout_config"])
    temp_files.append(local_path(companion))
    with open(local_path(companion), "rb") as handle:
        content = handle.read()
    os.remove(local_path(companion))
    lines = [line for line in content.splitlines() if line.strip()]
    if not lines:
        return None, "%s is empty" % companion
    # Only the first non-empty line counts, as md5sum -c reads it.
    match = MD5_ASSIGNMENT.match(lines[0]) or MD5_WITH_NAME.match(lines[0])
    if match is not None:
        return to_native(match.group(1)).lower(), "ok"
    if MD5_BARE.match(lines[0]):
        return None, "%s holds a bare hash without a file name" % companion
    return None, "%s holds no MD5 in md5sum format" % companion


# ---------------------------------------------------------------------------
# Image
# ---------------------------------------------------------------------------

def running_image():
    output = run("show version")
    version = re.search(r"(?:NXOS|system):\s+version\s+(\S+)", output)
    image = re.search(r"(?:NXOS|system) image file is:\s+(\S+)", output)
    if version is not None:
        log("Running NX-OS version %s" % version.group(1), important=True)
    if image is None:
        log("show version names no image file")
        return None
    name = re.split(r"[:/]", image.group(1))[-1]
    log("Running image %s" % name)
    return name


def free_kb():
    stat = os.statvfs("/bootflash/")
    block = stat.f_frsize or stat.f_bsize
    return stat.f_bavail * block // 1024


def fetch_image():
    target = settings["target_system_image"]
    destination = settings["destination_system_image"]
    if running_image() in (target, destination):
        log("Image %s is already running; not downloading it" % target, important=True)
        return

    expected = None
    if not settings["disable_md5"]:
        expected, reason = read_companion_md5(settings["target_image_path"], target)
        if expected is None:
            abort("Invalid MD5 from server: %s" % reason)
        log("Expected MD5 of %s: %s" % (target, expected))

    if os.path.exists(local_path(destination)):
        if settings["disable_md5"]:
            log("Image %s is already on flash (MD5 check disabled); not downloading it"
                % destination, important=True)
            return
        if flash_md5(destination) == expected:
            log("Image %s is already on flash with the right MD5; not downloading it"
                % destination, important=True)
            return
        log("Image %s on flash has another MD5; downloading it again" % destination)

    available = free_kb()
    log("Free space on bootflash: %d KB, required: %d KB"
        % (available, settings["required_space"]))
    if available < settings["required_space"]:
        abort("Not enough space on bootflash: %d KB free, %d KB required"
              % (available, settings["required_space"]))

    download(settings["target_image_path"], target, destination,
             settings["timeout_copy_system"])
    if settings["disable_md5"]:
        log("MD5 check disabled; image %s not verified" % destination, important=True)
        return
    actual = flash_md5(destination)
    if actual != expected:
        # The image stays on flash, as in the reference script family.
        abort("MD5 mismatch for %s: expected %s, got %s" % (destination, expected, actual))
    log("MD5 of %s verified" % destination, important=True)


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

def cdp_neighbor():
    """(device, port) of the CDP neighbour on POAP_INTF, from the text table."""
    interface = os.environ.get("POAP_INTF", "mgmt0")
    try:
        output = run("show cdp neighbors interface %s" % interface)
    except (cmd_exec_error, cli_syntax_error) as error:
        abort("Cannot read CDP neighbours on %s: %s" % (interface, error))
    lines = [line.rstrip("\r") for line in output.split("\n")]
    header = None
    for index, line in enumerate(lines):
        if line.startswith("Device-ID") or line.startswith("Device ID"):
            header = index
            break
    if header is None:
        abort("No CDP neighbour table on %s" % interface)
    fields = []
    for line in lines[header + 1:]:
        if not line.strip() or line.startswith("Total entries"):
            if fields:
                break
            continue
        fields.extend(line.split())
        # A long device id takes a line of its own; the columns follow below it.
        if len(fields) >= 4:
            break
    if len(fields) < 4:
        abort("No CDP neighbour found on %s" % interface)
    device = re.sub(r"\([^()]*\)$", "", fields[0])
    port = fields[-1]
    log("CDP neighbour on %s: %s port %s" % (interface, device, port), important=True)
    return device, port


def config_file_name():
    mode = settings["mode"]
    if mode == "serial_number":
        if serial == "unknown-serial":
            abort("POAP_SERIAL is not set; mode serial_number cannot name the config")
        return "conf.%s" % serial
    if mode == "mac":
        mac = re.sub(r"[^0-9A-Fa-f]", "", os.environ.get("POAP_MAC", "")).upper()
        if not mac:
            abort("POAP_MAC is not set; mode mac cannot name the config")
        return "conf_%s.cfg" % mac
    if mode == "hostname":
        host = os.environ.get("POAP_HOST_NAME", "")
        if not host:
            abort("POAP_HOST_NAME is not set; mode hostname cannot name the config")
        return "conf_%s.cfg" % host
    if mode == "location":
        device, port = cdp_neighbor()
        return "conf_%s_%s.cfg" % (device, port.replace("/", "_"))
    return settings["source_config_file"]


def fetch_config():
    name = config_file_name()
    log("Configuration file for mode %s: %s" % (settings["mode"], name), important=True)
    expected = None
    if not settings["disable_md5"]:
        expected, reason = read_companion_md5(settings["config_path"], name)
        if expected is None:
            log("%s; skipping the MD5 check of the configuration" % reason, important=True)
    download(settings["config_path"], name, CONFIG_NAME, settings["timeout_config"])
    if expected is not None:
        actual = flash_md5(CONFIG_NAME)
        if actual != expected:
            abort("MD5 mismatch for %s: expected %s, got %s" % (name, expected, actual))
        log("MD5 of %s verified" % name, important=True)


def in_n9k_mode():
    try:
        with open(FIRST_SETUP_LOG, "rb") as handle:
            first = handle.readline()
    except (IOError, OSError) as error:
        log("Cannot read %s (%s); treating the switch as not in N9K mode"
            % (FIRST_SETUP_LOG, error), important=True)
        return False
    return b"START" in first


def target_predates_7_0_3_i4():
    """Targets older than 7.0(3)I4 need reload-time commands applied first."""
    name = settings["target_system_image"]
    match = re.search(r"(\d+)\.(\d+)\.(\d+)\.I(\d+)\.", name)
    if match is not None:
        numbers = tuple(int(part) for part in match.groups())
        return numbers < (7, 0, 3, 4)
    match = re.search(r"\.(\d+)\.(\d+)\.(\d+)", name)
    return match is not None and int(match.group(1)) < 7


def stage_config():
    image = settings["destination_system_image"]
    with open(local_path(CONFIG_NAME), "rb") as handle:
        lines = handle.read().splitlines()

    split = not in_n9k_mode() or target_predates_7_0_3_i4()
    early = []
    main = []
    for line in lines:
        if split and EARLY_CONFIG.match(line):
            early.append(line)
        else:
            main.append(line)
    main.append(to_bytes("boot nxos %s" % flash_path(image)))

    if early:
        with open(local_path(STAGED_EARLY), "wb") as handle:
            handle.write(b"\n".join(early) + b"\n")
        log("Split configuration: %d reload-time lines in %s" % (len(early), STAGED_EARLY),
            important=True)
    elif split:
        log("Split requested but no reload-time lines found; one file only")
    with open(local_path(STAGED_MAIN), "wb") as handle:
        handle.write(b"\n".join(main) + b"\n")

    try:
        if early:
            run("copy %s scheduled-config" % flash_path(STAGED_EARLY).replace(":/", ":", 1))
        run("copy %s scheduled-config" % flash_path(STAGED_MAIN).replace(":/", ":", 1))
    except (cmd_exec_error, cli_syntax_error) as error:
        abort("Staging the configuration failed: %s" % str(error).strip())
    log("Configuration staged as scheduled-config", important=True)


# ---------------------------------------------------------------------------
# Boot image and finish
# ---------------------------------------------------------------------------

def set_boot_image():
    image = flash_path(settings["destination_system_image"])
    if settings["use_nxos_boot"]:
        try:
            run("config terminal ; boot nxos %s" % image)
        except (cmd_exec_error, cli_syntax_error) as error:
            abort("Setting the boot variable failed: %s" % str(error).strip())
        try:
            run("copy running-config startup-config")
        except (cmd_exec_error, cli_syntax_error) as error:
            text = str(error)
            if "timed out" in text.lower() or "timeout" in text.lower():
                log("copy running-config startup-config timed out: %s" % text.strip(),
                    important=True)
                remove_temp_files()
                sys.exit(-1)
            abort("copy running-config startup-config failed: %s" % text.strip())
        log("Boot variable set to %s" % image, important=True)
        return

    time.sleep(5)
    try:
        run("terminal dont-ask ; install all nxos %s no-reload non-interruptive" % image)
    except (cmd_exec_error, cli_syntax_error) as error:
        abort("install all failed: %s" % str(error).strip())
    time.sleep(5)
    log("install all set %s as the next boot image" % image, important=True)


def erase_startup_config():
    try:
        run("terminal dont-ask ; write erase")
    except (cmd_exec_error, cli_syntax_error) as error:
        abort("write erase failed: %s" % str(error).strip())


def main():
    signal.signal(signal.SIGTERM, on_sigterm)
    open_log()
    log("PoapLab POAP script started (Python %d.%d, phase %s, interface %s)"
        % (sys.version_info[0], sys.version_info[1], os.environ.get("POAP_PHASE", "?"),
           os.environ.get("POAP_INTF", "?")), important=True)
    check_options()
    fetch_image()
    fetch_config()
    stage_config()
    set_boot_image()
    erase_startup_config()
    remove_temp_files()
    log("POAP script finished successfully; the switch will reload", important=True)
    sys.exit(0)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        for text in traceback.format_exc().splitlines():
            log(text)
        log("POAP script failed with an unexpected error", important=True)
        remove_temp_files()
        sys.exit(1)
