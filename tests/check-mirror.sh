#!/usr/bin/env bash
# Lists every folder of every src/ project that has no test folder of the same path in its
# test project (src/PoapLab.X/A/B -> tests/PoapLab.X.Tests/A/B), and the test files there.
# Exit status 1 when a folder has no mirror, or a mirror holds no *Tests.cs file.
set -euo pipefail
cd "$(dirname "$0")/.."
gaps=0
for project in src/*/; do
    name=$(basename "$project")
    tests="tests/$name.Tests"
    while IFS= read -r dir; do
        rel=${dir#"$project"}
        [ -n "$rel" ] || continue
        # A folder holding only subfolders (no .cs of its own) needs no tests of its own.
        compgen -G "$dir/*.cs" > /dev/null || continue
        if [ ! -d "$tests/$rel" ]; then
            echo "missing: $tests/$rel (for $dir)"
            gaps=$((gaps + 1))
        elif ! compgen -G "$tests/$rel/*Tests*.cs" > /dev/null; then
            echo "no tests: $tests/$rel (for $dir)"
            gaps=$((gaps + 1))
        fi
    done < <(find "$project" -type d \( -name bin -o -name obj \) -prune -o -type d -print | sort)
done
echo "$gaps gap(s)"
[ "$gaps" -eq 0 ]
