#!/usr/bin/env bash
# Where a bench server spends its time under load: runs it with V8's sampling profiler
# (`--cpu-prof`) under `seconds` of wrk load (default 10, 50 connections), and leaves the profile and
# the number of requests served in `out_dir`. Compare two such directories with
# bench/cpu-profile-compare.ts, which prints self time per request, function by function.
#
#   npm run build
#   bash bench/cpu-profile.sh node-latchkey.ts /rw /tmp/prof-latchkey
#   bash bench/cpu-profile.sh node-bare.ts /rw /tmp/prof-bare 10 --cookie   # same requests, cookie included
#   node --import tsx bench/cpu-profile-compare.ts /tmp/prof-latchkey /tmp/prof-bare
#
# The server runs on CPU 0 and wrk on CPU 1, as in the harness. The profiler slows a server by about
# a fifth, so compare profiles with each other, not with throughput tables. Needs wrk (Debian: wrk).
set -euo pipefail
usage="usage: cpu-profile.sh <bench/servers script> <path> <out_dir> [seconds] [--cookie]"
script=${1:?$usage}
path=${2:?$usage}
out=${3:?$usage}
seconds=${4:-10}
send_cookie=${5:-}
cd "$(dirname "$0")/.."
# shellcheck source=bench/server-url.sh
source bench/server-url.sh
rm -rf "$out"
mkdir -p "$out"
PORT=0 NODE_ENV=production taskset -c 0 node --cpu-prof --cpu-prof-dir="$out" \
  --import tsx "bench/servers/$script" >"$out/stdout" 2>"$out/stderr" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
url=$(server_url "$out/stdout")
cookie=$(request_cookie "$url" "$send_cookie")
headers=()
[ -n "$cookie" ] && headers=(-H "Cookie: $cookie")
taskset -c 1 wrk -t1 -c50 -d"${seconds}s" "${headers[@]}" "$url$path" >"$out/wrk.txt"
sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$out/wrk.txt" >"$out/requests"
# SIGTERM lets the server exit normally, which is when node writes the profile.
kill -TERM "$server"
wait "$server" || true
trap - EXIT
echo "$script $path: $(cat "$out/requests") requests in ${seconds} s, profile in $out"
