#!/usr/bin/env bash
# Compares the log scanner with ripgrep and PowerShell's Select-String on a
# generated WGSS trace with the failure signatures planted at known places.
#
#   benches/compare_log_scan.sh [SIZE_MB] [SLICE_MB]
#
# SIZE_MB (default 1024) is the size of the generated UTF-8 log; a UTF-16LE
# copy (no BOM) is made from it. SLICE_MB (default 64) is the size of the
# first-lines slice that Select-String is timed on (it is far too slow for
# the whole file); its time is scaled linearly to SIZE_MB and the script
# says so. Everything is written under /tmp and deleted at the end.
#
# Measured, each after one warm-up read so that all tools read from the
# page cache: wall time and peak RSS (/usr/bin/time -v) of
#   - our scan (the `log_scan_driver` bench binary, release profile,
#     built-in rule pack, one `log_scan` call),
#   - `rg -c -F -e <literal>...` with the same literals (the built-in
#     pack's WGSS literals, printed by the driver),
#   - `Select-String -SimpleMatch -CaseSensitive -Pattern <literals>` in
#     pwsh (~/.dotnet/tools/pwsh) on the slice,
# and checked: our candidate records equal rg's matching lines, our rule
# counts equal the planted ones, the UTF-16LE copy gives the same counts,
# and our peak RSS on the full file is close to that on the slice.
set -euo pipefail

SIZE_MB=${1:-1024}
SLICE_MB=${2:-64}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PWSH=${PWSH:-$HOME/.dotnet/tools/pwsh}
WORK=$(mktemp -d /tmp/nymidiag-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

say() { printf '%s\n' "$*" >&2; }

if ! command -v rg >/dev/null 2>&1; then
    say "installing ripgrep from the OS packages"
    (apt-get update -qq && apt-get install -y -qq ripgrep) >/dev/null
fi

say "building the driver (release profile)"
DRIVER=$(cd "$ROOT" && cargo bench --bench log_scan_driver --no-run --message-format=json 2>/dev/null \
    | jq -r 'select(.executable != null and .target.name == "log_scan_driver") | .executable' | tail -1)
[ -x "$DRIVER" ] || { say "driver not built"; exit 1; }

LOG=$WORK/WGSS_bench.log
LOG16=$WORK/WGSS_bench16.log
SLICE=$WORK/WGSS_slice.log

say "generating ${SIZE_MB} MB"
"$DRIVER" generate "$LOG" $((SIZE_MB * 1024 * 1024)) 10000 >"$WORK/manifest.json"
"$DRIVER" literals wgss >"$WORK/literals.txt"
RG_ARGS=()
while IFS= read -r lit; do RG_ARGS+=(-e "$lit"); done <"$WORK/literals.txt"
# Slice: the first SLICE_MB, cut at a line end.
head -c $((SLICE_MB * 1024 * 1024)) "$LOG" | sed '$d' >"$SLICE"
say "re-encoding as UTF-16LE (no BOM)"
iconv -f UTF-8 -t UTF-16LE "$LOG" >"$LOG16"

# measure RUNS NAME OUTFILE CMD...: runs CMD RUNS times under
# /usr/bin/time -v; prints "NAME median_wall_s max_rss_kib all_walls" and
# keeps CMD's stdout (of the last run) in OUTFILE. Wall time is taken with
# bash's EPOCHREALTIME (microseconds), peak RSS from /usr/bin/time.
measure() {
    local runs=$1 name=$2 out=$3
    shift 3
    local walls=() rss_max=0 t0 t1 rss
    for _ in $(seq "$runs"); do
        t0=$EPOCHREALTIME
        /usr/bin/time -v "$@" >"$out" 2>"$WORK/time.txt"
        t1=$EPOCHREALTIME
        walls+=("$(echo "$t1 - $t0" | bc -l)")
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
        [ "$rss" -gt "$rss_max" ] && rss_max=$rss
    done
    local median
    median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '%s %s %s %s\n' "$name" "$median" "$rss_max" "$(IFS=,; echo "${walls[*]}")"
}

warm() { cat "$@" >/dev/null; }

RESULTS=$WORK/results.txt
: >"$RESULTS"
warm "$LOG"
RUNS=${RUNS:-5}
measure "$RUNS" ours "$WORK/ours.json" "$DRIVER" scan "$LOG" >>"$RESULTS"
measure "$RUNS" ripgrep "$WORK/rg.txt" rg -c -F "${RG_ARGS[@]}" "$LOG" >>"$RESULTS"
measure "$RUNS" ripgrep_no_mmap "$WORK/rg_nommap.txt" rg --no-mmap -c -F "${RG_ARGS[@]}" "$LOG" >>"$RESULTS"
warm "$LOG16"
measure "$RUNS" ours_utf16 "$WORK/ours16.json" "$DRIVER" scan "$LOG16" >>"$RESULTS"
measure "$RUNS" ripgrep_utf16 "$WORK/rg16.txt" rg -c -F -E utf-16le "${RG_ARGS[@]}" "$LOG16" >>"$RESULTS"
warm "$SLICE"
measure "$RUNS" ours_slice "$WORK/ours_slice.json" "$DRIVER" scan "$SLICE" >>"$RESULTS"
measure "$RUNS" ripgrep_slice "$WORK/rg_slice.txt" rg -c -F "${RG_ARGS[@]}" "$SLICE" >>"$RESULTS"
measure 1 select_string_slice "$WORK/ss_slice.txt" "$PWSH" -NoProfile -NonInteractive -Command \
    "\$p = Get-Content -LiteralPath '$WORK/literals.txt'; (Select-String -LiteralPath '$SLICE' -SimpleMatch -CaseSensitive -Pattern \$p | Measure-Object).Count" \
    >>"$RESULTS"

python3 - "$WORK" "$SIZE_MB" "$SLICE_MB" <<'PY'
import json, sys
work, size_mb, slice_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
res = {}
walls = {}
for line in open(f"{work}/results.txt"):
    name, wall, rss, all_walls = line.split()
    res[name] = (float(wall), int(rss))
    walls[name] = all_walls
m = json.load(open(f"{work}/manifest.json"))
ours = json.load(open(f"{work}/ours.json"))
ours16 = json.load(open(f"{work}/ours16.json"))
ours_slice = json.load(open(f"{work}/ours_slice.json"))
rg = int(open(f"{work}/rg.txt").read().strip() or 0)
rg_nommap = int(open(f"{work}/rg_nommap.txt").read().strip() or 0)
rg16 = int(open(f"{work}/rg16.txt").read().strip() or 0)
rg_slice = int(open(f"{work}/rg_slice.txt").read().strip() or 0)
ss_slice = int(open(f"{work}/ss_slice.txt").read().strip() or 0)

ok = True
def check(label, cond):
    global ok
    ok &= cond
    print(f"  [{'ok' if cond else 'FAIL'}] {label}")

print(f"generated: {m['bytes']} bytes, {m['lines']} lines, {m['chain_plants']} failing taps + "
      f"{m['ble_plants']} BLE-only taps planted every 10,000 lines (first at lines {m['first_plant_lines'][:3]})")
print(f"{'tool':<22}{'median s':>9}{'peak RSS KiB':>14}{'MB/s':>9}  runs (s)")
sizes = {"ours": m["bytes"], "ripgrep": m["bytes"], "ripgrep_no_mmap": m["bytes"],
         "ours_utf16": 2 * m["bytes"],
         "ripgrep_utf16": 2 * m["bytes"]}
slice_bytes = slice_mb * 1024 * 1024
for k in ("ours_slice", "ripgrep_slice", "select_string_slice"):
    sizes[k] = slice_bytes
for name, (wall, rss) in res.items():
    mbps = sizes[name] / 1e6 / wall if wall > 0 else float("inf")
    runs = ", ".join(f"{float(w):.3f}" for w in walls[name].split(","))
    print(f"{name:<22}{wall:>9.3f}{rss:>14}{mbps:>9.0f}  {runs}")
ss_scaled = res["select_string_slice"][0] * (m["bytes"] / slice_bytes)
print(f"Select-String scaled from the {slice_mb} MB slice to the full file (linear): {ss_scaled:.1f} s")

print("checks:")
check(f"candidate records {ours['records_examined']} == rg -c {rg} == planted {m['candidate_lines']}",
      ours["records_examined"] == rg == rg_nommap == m["candidate_lines"])
check("rule counts == planted: " + ", ".join(f"{k}={ours['counts'].get(k, 0)}" for k in m["expected"]),
      all(ours["counts"].get(k, 0) == v for k, v in m["expected"].items()))
check(f"UTF-16LE copy ({ours16['encoding']}): same counts and candidates ({ours16['records_examined']}), rg -E utf-16le {rg16}",
      ours16["counts"] == ours["counts"] and ours16["records_examined"] == ours["records_examined"] and rg16 == rg)
check(f"slice: ours {ours_slice['records_examined']} == rg {rg_slice} == Select-String {ss_slice}",
      ours_slice["records_examined"] == rg_slice == ss_slice)
ratio = res["ours"][0] / res["ripgrep"][0]
check(f"ours / ripgrep wall time (UTF-8, full file, medians) = {ratio:.2f} (target <= 1.5)", ratio <= 1.5)
print(f"  [info] ours / ripgrep --no-mmap = {res['ours'][0] / res['ripgrep_no_mmap'][0]:.2f}; "
      f"UTF-16LE: ours / ripgrep -E utf-16le = {res['ours_utf16'][0] / res['ripgrep_utf16'][0]:.2f}")
speedup = ss_scaled / res["ours"][0]
check(f"Select-String (scaled) / ours = {speedup:.0f}x (target >= 30)", speedup >= 30)
speedup_slice = res["select_string_slice"][0] / res["ours_slice"][0]
print(f"  [info] on the slice itself: Select-String / ours = {speedup_slice:.0f}x "
      f"(includes pwsh start-up, about a second)")
rss_full, rss_slice = res["ours"][1], res["ours_slice"][1]
check(f"peak RSS independent of size: {rss_full} KiB on {size_mb} MB vs {rss_slice} KiB on {slice_mb} MB",
      rss_full <= rss_slice * 1.25 + 4096)
sys.exit(0 if ok else 1)
PY
