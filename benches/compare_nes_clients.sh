#!/usr/bin/env bash
# Compares the NES client report with ripgrep on generated NES IIS logs.
#
#   benches/compare_nes_clients.sh [SIZE_MB] [DAYS] [TERMINALS]
#
# SIZE_MB (default 2048) of IIS logs are generated under /tmp, one
# u_exYYMMDD.log per day for DAYS days (default 28, the report's default
# window) and TERMINALS terminals (default 2000) in known states, plus
# other sites' traffic (`log_scan_driver iis-generate`). Every NES request
# is one line with `/NES/` exactly once. Deleted at the end.
#
# Measured, after one warm-up read so that both read from the page cache,
# RUNS times each (default 5; median wall time and peak RSS with
# /usr/bin/time -v):
#   - ours: `log_scan_driver nes-clients <dir> <now> /NES` (bench target,
#     release profile: one `nes_clients` library call, the same code
#     `nymidiag_nes_clients` and Get-NymiNesClientReport run, without the
#     PowerShell start-up),
#   - `rg -c -F /NES/ <dir>` (counts the NES requests per file; ripgrep
#     searches the files in parallel as ours reads them),
#   - the same with `--no-mmap`;
# and checked: the requests we counted equal rg's total and the planted
# count, the clients per state equal the plan, and ours / rg <= 1.5.
set -euo pipefail

SIZE_MB=${1:-2048}
DAYS=${2:-28}
TERMINALS=${3:-2000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/nymidiag-nes-bench.XXXXXX)
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

LOGS=$WORK/logs
say "generating ${SIZE_MB} MB in ${DAYS} daily files for ${TERMINALS} terminals"
"$DRIVER" iis-generate "$LOGS" $((SIZE_MB * 1024 * 1024)) "$DAYS" "$TERMINALS" >"$WORK/manifest.json"
NOW=$(jq -r .now "$WORK/manifest.json")

# measure RUNS NAME OUTFILE CMD...: as in compare_log_scan.sh.
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

RESULTS=$WORK/results.txt
: >"$RESULTS"
cat "$LOGS"/*/* >/dev/null
RUNS=${RUNS:-5}
# Interleaved, so that a neighbour's load on the machine hits both alike.
for round in $(seq "$RUNS"); do
    measure 1 ours "$WORK/ours.json" "$DRIVER" nes-clients "$LOGS" "$NOW" /NES >>"$RESULTS"
    measure 1 ripgrep "$WORK/rg.txt" rg -c -F /NES/ "$LOGS" >>"$RESULTS"
    measure 1 ripgrep_no_mmap "$WORK/rg_nommap.txt" rg --no-mmap -c -F /NES/ "$LOGS" >>"$RESULTS"
    say "round $round done"
done

python3 - "$WORK" <<'PY'
import json, sys, statistics
work = sys.argv[1]
walls, rss = {}, {}
for line in open(f"{work}/results.txt"):
    name, wall, peak, _ = line.split()
    walls.setdefault(name, []).append(float(wall))
    rss[name] = max(rss.get(name, 0), int(peak))
m = json.load(open(f"{work}/manifest.json"))
ours = json.load(open(f"{work}/ours.json"))
def rg_total(path):
    return sum(int(l.rsplit(":", 1)[1]) for l in open(path) if l.strip())
rg, rg_nommap = rg_total(f"{work}/rg.txt"), rg_total(f"{work}/rg_nommap.txt")

ok = True
def check(label, cond):
    global ok
    ok &= cond
    print(f"  [{'ok' if cond else 'FAIL'}] {label}")

print(f"generated: {m['bytes']} bytes, {m['lines']} lines in {m['files']} files, "
      f"{m['nes_lines']} NES requests, terminals per state {m['states']}")
print(f"{'tool':<18}{'median s':>9}{'peak RSS KiB':>14}{'MB/s':>9}  runs (s)")
med = {k: statistics.median(v) for k, v in walls.items()}
for name in ("ours", "ripgrep", "ripgrep_no_mmap"):
    runs = ", ".join(f"{w:.3f}" for w in walls[name])
    print(f"{name:<18}{med[name]:>9.3f}{rss[name]:>14}{m['bytes'] / 1e6 / med[name]:>9.0f}  {runs}")
print(f"ours: {ours['clients']} clients, {ours['records_counted']} requests counted, "
      f"{ours['records_filtered']} left out by uri_stem, in-process {ours['ms']:.0f} ms")
print("checks:")
check(f"requests counted {ours['records_counted']} == rg -c {rg} == planted {m['nes_lines']}",
      ours["records_counted"] == rg == rg_nommap == m["nes_lines"])
check(f"clients per state {ours['states']} == plan {m['states']}",
      all(ours["states"].get(k, 0) == v for k, v in m["states"].items()))
ratio = med["ours"] / med["ripgrep"]
check(f"ours / ripgrep wall time (medians) = {ratio:.2f} (target <= 1.5)", ratio <= 1.5)
print(f"  [info] ours / ripgrep --no-mmap = {med['ours'] / med['ripgrep_no_mmap']:.2f}")
sys.exit(0 if ok else 1)
PY
