#!/usr/bin/env bash
# Sets up the machine (first run), builds PoapLab once and runs the scenario catalogue
# on the embedded servers. Usage: ./run-scenarios.sh [poaplab run args]
#   ./run-scenarios.sh                          # every scenario under scenarios/
#   ./run-scenarios.sh scenarios/happy-path-tftp.yaml --script my_poap.py
set -euo pipefail
cd "$(dirname "$0")"
.ci/setup
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/PoapLab.Cli --no-restore -c Release --verbosity quiet -nologo
args=("$@")
has_path=0
skip=0
for a in "${args[@]+"${args[@]}"}"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    --script|--out|--parallel|--filter|--network) skip=1 ;;
    -*) ;;
    *) has_path=1 ;;
  esac
done
[ "$has_path" = 1 ] || args=(scenarios/ "${args[@]+"${args[@]}"}")
exec dotnet src/PoapLab.Cli/bin/Release/net10.0/poaplab.dll run "${args[@]}"
