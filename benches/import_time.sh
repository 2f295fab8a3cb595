#!/usr/bin/env bash
# Cold `Import-Module` time of the built module compared, in the same run,
# with a bare `pwsh -NoProfile -c exit`: each is a fresh process, run N times
# alternately; prints the median wall time of each and the difference.
# Usage: benches/import_time.sh [runs]   (after ./build.sh Build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-15}
pwsh_bin=$(bash "$root/tools/bootstrap.sh" | tail -n 1)
manifest="$root/powershell/NymiDiag/NymiDiag.psd1"

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

"$pwsh_bin" -NoProfile -c exit   # warm the disk cache for both
bare=(); import=()
for _ in $(seq "$runs"); do
    bare+=("$(ms "$pwsh_bin" -NoProfile -NonInteractive -c exit)")
    import+=("$(ms "$pwsh_bin" -NoProfile -NonInteractive -c "Import-Module '$manifest'; exit")")
done
b=$(printf '%s\n' "${bare[@]}" | median)
i=$(printf '%s\n' "${import[@]}" | median)
echo "runs: $runs"
echo "pwsh -NoProfile -c exit:                 median ${b} ms"
echo "pwsh -NoProfile -c 'Import-Module ...':  median ${i} ms"
echo "Import-Module adds:                      $(( i - b )) ms"
