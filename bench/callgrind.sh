#!/usr/bin/env bash
# Instructions the server executes per request, counted by valgrind's callgrind: the same count on
# every run of the same code (within about 1%), on any machine valgrind runs on, however loaded or
# throttled the machine is. Use it where `perf stat` is not supported (bench/instructions.sh) and to
# compare two versions of the code without the throughput noise of a shared VM.
#
#   npm run build && bash bench/callgrind.sh node-latchkey.ts /rw
#   bash bench/callgrind.sh node-bare.ts /rw 20000 --cookie      # the same requests, cookie included
#
# The server runs under callgrind (about 50 times slower); after `WARMUP` requests (default 50,000)
# the counters are zeroed, `requests` more are sent (default 20,000, 20 at a time, autocannon), and
# the total is divided by them. The first figure leaves out V8's optimizing compiler (TurboFan) and
# the garbage collector: under callgrind a server keeps compiling long after it would have settled
# at full speed, so that share says how slowly the run went, not what the code costs; the
# collector's share moves by a thousand instructions or so from run to run. Both are shown too.
# Needs valgrind (Debian: valgrind).
set -euo pipefail
script=${1:?usage: callgrind.sh <bench/servers script> <path> [requests] [--cookie]}
path=${2:?usage: callgrind.sh <bench/servers script> <path> [requests] [--cookie]}
requests=${3:-20000}
send_cookie=${4:-}
warmup=${WARMUP:-50000}
cd "$(dirname "$0")/.."
# shellcheck source=bench/server-url.sh
source bench/server-url.sh
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
PORT=0 NODE_ENV=production valgrind --tool=callgrind --callgrind-out-file="$work/out" \
  node --import tsx "bench/servers/$script" >"$work/stdout" 2>"$work/stderr" &
server=$!
url=$(server_url "$work/stdout" 600)
cookie=$(request_cookie "$url" "$send_cookie")
headers=()
[ -n "$cookie" ] && headers=(-H "cookie=$cookie")
load() { npx autocannon -c 20 -a "$1" "${headers[@]}" "$url$path" >/dev/null 2>&1; }
load "$warmup"
callgrind_control -z "$server" >/dev/null 2>&1
load "$requests"
callgrind_control -d "$server" >/dev/null 2>&1
profile=$(ls -t "$work"/out.* | head -1)
callgrind_annotate --inclusive=no --threshold=100 "$profile" 2>/dev/null |
  sed -nE 's/^ *([0-9,]+) \( *[0-9.]+%\) +(.*)$/\1\t\2/p' | tr -d ',' |
  awk -F'\t' -v n="$requests" -v name="$script $path${cookie:+ (with cookie)}" '
    function k(x) { return sprintf("%.1fk", x / n / 1000) }
    $2 ~ /PROGRAM TOTALS/ { total = $1; next }
    $2 ~ /compiler::|GraphReducer|Turbofan|Maglev|Compile|Pipeline|Zone|RegisterAlloc|LiveRange|InstructionSelector|Scheduler/ { compiler += $1; next }
    $2 ~ /Scaveng|Heap::|GC|MarkCompact|Sweep|Evacuat|ObjectCache|RootPointer/ { gc += $1 }
    END {
      printf "%s: %s instructions per request outside the collector (%s with garbage collection, %s with the optimizing compiler too)\n",
        name, k(total - compiler - gc), k(total - compiler), k(total)
    }'
