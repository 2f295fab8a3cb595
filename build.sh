#!/usr/bin/env bash
# Linux/macOS entry point: installs what is missing (tools/bootstrap.sh),
# then runs build.ps1 with the given task: ./build.sh Test, ./build.sh Demo.
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
pwsh_bin=$(bash "$root/tools/bootstrap.sh" | tail -n 1)
exec "$pwsh_bin" -NoProfile -NonInteractive -File "$root/build.ps1" -Task "${1:-Test}" "${@:2}"
