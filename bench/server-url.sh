# Shared by the shell benchmarks (instructions.sh, callgrind.sh); source it, do not run it.

# Waits (up to `tries` times 0.2 s) until a bench server started in the background has written
# "listening <port>" to `stdout_file`, then prints its URL.
server_url() {
  local stdout_file=$1 tries=${2:-50}
  for _ in $(seq "$tries"); do
    grep -q '^listening' "$stdout_file" && break
    sleep 0.2
  done
  echo "http://127.0.0.1:$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$stdout_file")"
}

# Prints the Cookie pair the server sets on /rw (name=value), or nothing for a bare server.
server_cookie() {
  curl -s -i "$1/rw" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | tr -d '\r' | head -1
}
