#!/usr/bin/env bash
# Boot cost of the GPO startup script (powershell/Gpo/Invoke-NymiStartupCheck.ps1):
# each case runs the whole script RUNS times as a child process
# (`pwsh -NoProfile -NonInteractive -File`, as the tests run it) with the
# module of this tree, empty key store and log folders, `-EventSource ''` and
# a fresh report folder; prints the min/median/max wall time of the process
# and of the JSON file's network.waited_ms, with the wait's state and dns.
#
# No DNS query leaves the machine: every run is in its own mount namespace
# where /etc/resolv.conf names a DNS stand-in on a loopback address. It
# answers "name does not exist" (NXDOMAIN) for every name, except names
# starting with `drop.`, which it never answers. The only other addresses
# contacted are closed loopback ports. So it needs Linux, root (unshare -m,
# mount --bind, port 53) and python3.
#
# Usage: benches/gpo_boot.sh [RUNS=5] [N_DROP=10] [CASES]
#   N_DROP is -NetworkWaitSec for the case where DNS never answers (the
#   worst case of the wait: N + 0.5 s); the other cases use the default 120.
#   CASES: case names separated by commas (default: all).
#   GPO_SCRIPT=<file> measures another version of the script, e.g.
#   `git show main:powershell/Gpo/Invoke-NymiStartupCheck.ps1`.
#   Run ./build.sh Build first (or have powershell/NymiDiag/bin/ prebuilt).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
n_drop=${2:-10}
cases=${3:-resolves,dns-nxdomain,invalid-name,no-nes-url,dns-never-answers}
timeout_sec=5
dns_ip=127.0.0.153
script=${GPO_SCRIPT:-$root/powershell/Gpo/Invoke-NymiStartupCheck.ps1}
manifest="$root/powershell/NymiDiag/NymiDiag.psd1"
pwsh_bin=${PWSH:-$HOME/.dotnet/tools/pwsh}
[ -x "$pwsh_bin" ] || pwsh_bin=$(command -v pwsh)

if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
    echo "gpo_boot.sh: needs root and unshare -m (a private /etc/resolv.conf keeps DNS queries on loopback)" >&2
    exit 1
fi

work=$(mktemp -d)
dns_pid=
cleanup() {
    if [ -n "$dns_pid" ]; then kill "$dns_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The DNS stand-in: NXDOMAIN for every question, silence for drop.*.
cat >"$work/dns.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
open(sys.argv[2], "w").close()
while True:
    data, peer = s.recvfrom(512)
    i = 12
    labels = []
    while data[i]:
        labels.append(data[i + 1:i + 1 + data[i]].decode("ascii", "replace"))
        i += data[i] + 1
    if labels and labels[0] == "drop":
        continue
    tid = struct.unpack(">H", data[:2])[0]
    s.sendto(struct.pack(">HHHHHH", tid, 0x8183, 1, 0, 0, 0) + data[12:i + 5], peer)
EOF
python3 "$work/dns.py" "$dns_ip" "$work/dns.ready" &
dns_pid=$!
for _ in $(seq 50); do [ -e "$work/dns.ready" ] && break; sleep 0.1; done
[ -e "$work/dns.ready" ] || { echo "gpo_boot.sh: the DNS stand-in did not start" >&2; exit 1; }
printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$dns_ip" >"$work/resolv.conf"

# A closed loopback port for the NES URLs: bind, note, close.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/ksp" "$work/logs"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
stats() { sort -n | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2); printf "%s/%s/%s", a[1], m, a[NR]}'; }

run_case() {
    local name=$1 nes_uri=$2 wait_sec=$3
    case ",$cases," in *",$name,"*) ;; *) return 0 ;; esac
    local walls=() waits=() states=()
    for i in $(seq "$runs"); do
        local reports="$work/reports-$name-$i"
        local start end
        start=$(ms)
        unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh "$work/resolv.conf" \
            "$pwsh_bin" -NoProfile -NonInteractive -File "$script" -ModulePath "$manifest" \
            -NesUri "$nes_uri" -NetworkWaitSec "$wait_sec" -TimeoutSec "$timeout_sec" \
            -KspPath "$work/ksp" -LogPath "$work/logs" -EventSource '' -ReportFolder "$reports" >"$work/line" 2>"$work/err" </dev/null
        end=$(ms)
        walls+=($((end - start)))
        local report
        report=$(ls -t "$reports"/startup-*.json | head -n 1)
        local fields
        fields=$(python3 -c 'import json, sys; n = json.load(open(sys.argv[1]))["network"]; print(n["waited_ms"], n["state"] + "/" + n["dns"])' "$report")
        waits+=("${fields%% *}")
        states+=("${fields#* }")
    done
    printf '%-26s %-40s %5s %-22s %-22s %s\n' "$name" "${nes_uri:-(none)}" "$wait_sec" \
        "$(printf '%s\n' "${walls[@]}" | stats)" "$(printf '%s\n' "${waits[@]}" | stats)" \
        "$(printf '%s\n' "${states[@]}" | sort | uniq -c | awk '{printf "%s%sx%s", (NR>1?",":""), $1, $2}')"
    echo "    last line: $(cat "$work/line")"
}

# Warm the disk cache once (module and library files).
"$pwsh_bin" -NoProfile -NonInteractive -c "Import-Module '$manifest'; exit" >/dev/null

echo "script: $script"
echo "runs: $runs per case; -TimeoutSec $timeout_sec; pwsh: $("$pwsh_bin" -NoProfile -c '$PSVersionTable.PSVersion.ToString()')"
printf '%-26s %-40s %5s %-22s %-22s %s\n' case '-NesUri' 'N' 'wall ms min/med/max' 'waited_ms min/med/max' 'network state/dns'
run_case resolves "https://localhost:$port/nes" 120
run_case dns-nxdomain "https://nes.nymidiag-bench.test:$port/nes" 120
run_case invalid-name "https://nes.example.invalid/nes" 120
run_case no-nes-url "" 120
run_case dns-never-answers "https://drop.nymidiag-bench.test:$port/nes" "$n_drop"
