#!/usr/bin/env bash
# Sets up the machine (first run), builds PoapLab when its sources changed and runs the
# scenario catalogue on the embedded servers. Usage: ./run-scenarios.sh [poaplab run args]
#   ./run-scenarios.sh                          # every scenario under scenarios/
#   ./run-scenarios.sh scenarios/happy-path-tftp.yaml --script my_poap.py
#   ./run-scenarios.sh --tags dhcp --shard 1/3  # see README: select and split
# Setup and build are skipped when nothing they depend on changed since the last time
# (POAPLAB_SETUP=1 forces the setup, e.g. after removing a Debian package).
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dll=src/PoapLab.Cli/bin/Release/net10.0/poaplab.dll
stamp=src/PoapLab.Cli/obj/run-scenarios.setup
# What the setup depends on: itself, the SDK pin and every project and package version.
inputs=$(cat .ci/setup global.json Directory.Build.props Directory.Packages.props $(find src tests -name '*.csproj' | LC_ALL=C sort) | md5sum)
if [ "${POAPLAB_SETUP:-0}" = 1 ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$inputs" ]; then
  .ci/setup
  built=1
else
  built=0
fi
# Build when the program is missing or any source, project or props file is newer than it.
if [ "$built" = 1 ] || [ ! -f "$dll" ] || [ -n "$(find src Directory.Build.props Directory.Packages.props global.json -newer "$dll" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' -o -name '*.py' \) -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)" ]; then
  dotnet build src/PoapLab.Cli --no-restore -c Release --verbosity quiet -nologo
  mkdir -p "$(dirname "$stamp")" && printf '%s' "$inputs" > "$stamp"
fi
args=("$@")
has_path=0
skip=0
for a in "${args[@]+"${args[@]}"}"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    --script|--out|--parallel|--filter|--network|--tags|--skip-tags|--shard) skip=1 ;;
    -*) ;;
    *) has_path=1 ;;
  esac
done
[ "$has_path" = 1 ] || args=(scenarios/ "${args[@]+"${args[@]}"}")
exec dotnet "$dll" run "${args[@]}"
