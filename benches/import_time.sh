#!/usr/bin/env bash
# Cold `Import-Module` time of the module in its source layout and as
# packaged (one psm1, `build.ps1 -Task PackageModule`), compared in the same
# run with a bare `pwsh -NoProfile -c exit`: each is a fresh process, the
# three run N times in turn; prints the median wall time of each and what
# each import adds.
# Usage: benches/import_time.sh [runs] [packaged NymiDiag.psd1]
#   (after ./build.sh Build; without a packaged manifest one is packaged
#   into a temporary folder and removed afterwards)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-15}
packaged=${2:-}
pwsh_bin=$(bash "$root/tools/bootstrap.sh" | tail -n 1)
source_manifest="$root/powershell/NymiDiag/NymiDiag.psd1"

if [ -z "$packaged" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    "$pwsh_bin" -NoProfile -NonInteractive -File "$root/build.ps1" -Task PackageModule -OutputPath "$out" >/dev/null
    packaged=$(ls "$out"/NymiDiag/*/NymiDiag.psd1)
fi

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

# Warm the disk cache for all three.
"$pwsh_bin" -NoProfile -c "Import-Module '$source_manifest'; Remove-Module NymiDiag; Import-Module '$packaged'; exit" >/dev/null
bare=(); src=(); pkg=()
for _ in $(seq "$runs"); do
    bare+=("$(ms "$pwsh_bin" -NoProfile -NonInteractive -c exit)")
    src+=("$(ms "$pwsh_bin" -NoProfile -NonInteractive -c "Import-Module '$source_manifest'; exit")")
    pkg+=("$(ms "$pwsh_bin" -NoProfile -NonInteractive -c "Import-Module '$packaged'; exit")")
done
b=$(printf '%s\n' "${bare[@]}" | median)
s=$(printf '%s\n' "${src[@]}" | median)
p=$(printf '%s\n' "${pkg[@]}" | median)
echo "runs: $runs"
echo "packaged manifest: $packaged"
echo "pwsh -NoProfile -c exit:                     median ${b} ms"
echo "Import-Module, source layout:                median ${s} ms (adds $(( s - b )) ms)"
echo "Import-Module, packaged (one psm1):          median ${p} ms (adds $(( p - b )) ms)"
