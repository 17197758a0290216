#!/usr/bin/env bash
# Sets up the machine (first run) and runs every test. Usage: ./run-tests.sh [dotnet test args]
set -euo pipefail
cd "$(dirname "$0")"
.ci/setup
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# One test assembly at a time (-m:1): the sandbox's attack tests load the machine, and other
# assemblies compare timelines whose real-time waits are capped.
dotnet test PoapLab.sln --no-restore -m:1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for whoever reads the log: totals over every test assembly.
awk '/Failed:.*Passed:/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { gsub(",", "", f); printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
