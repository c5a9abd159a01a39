#!/usr/bin/env bash
# CPU instructions the server spends per request, counted by the processor (`perf stat`) while wrk
# loads it: a cost figure that, unlike requests/s, hardly moves when a shared VM gets slower or
# faster from one minute to the next. Absolute counts depend on the machine (a virtualised counter
# may read high); compare servers measured on the same machine.
#
#   npm run build && bash bench/instructions.sh node-bare.ts /rw
#   bash bench/instructions.sh node-latchkey.ts /ro 5
#
# Needs perf (Debian: linux-perf) allowed to read the counters, and wrk. The server runs on CPU 0
# and wrk on CPU 1, as in the other benchmarks; one warm-up run, then `runs` runs of 5 s (default 3).
set -euo pipefail
script=${1:?usage: instructions.sh <bench/servers script> <path> [runs]}
path=${2:?usage: instructions.sh <bench/servers script> <path> [runs]}
runs=${3:-3}
cd "$(dirname "$0")/.."
# shellcheck source=bench/server-url.sh
source bench/server-url.sh
if ! perf stat -x, -e instructions true 2>&1 >/dev/null | grep -q '^[0-9]'; then
  echo "perf cannot count instructions on this machine: use bash bench/callgrind.sh instead" >&2
  exit 2
fi
out=$(mktemp)
counts=$(mktemp)
PORT=0 NODE_ENV=production taskset -c 0 node --import tsx "bench/servers/$script" >"$out" &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$out" "$counts"' EXIT
url=$(server_url "$out")
# A session cookie when the server sets one (bare servers do not), sent with every request.
cookie=$(server_cookie "$url")
headers=()
[ -n "$cookie" ] && headers=(-H "Cookie: $cookie")
taskset -c 1 wrk -t1 -c50 -d3s "${headers[@]}" "$url$path" >/dev/null
for _ in $(seq "$runs"); do
  perf stat -x, -e instructions -p "$server" -o "$counts" &
  perf=$!
  result=$(taskset -c 1 wrk -t1 -c50 -d5s "${headers[@]}" "$url$path")
  kill -INT "$perf"
  wait "$perf" || true
  requests=$(echo "$result" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
  awk -F, -v r="$requests" -v name="$script $path" \
    '/instructions/ { printf "%s: %.1fk instructions per request (%d requests)\n", name, $1 / r / 1000, r }' \
    "$counts"
done
