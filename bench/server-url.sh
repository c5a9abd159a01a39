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

# Prints the Cookie pair to send: the server's own session cookie; with `--cookie` as second argument,
# a well-formed unknown one for a server that sets none (a bare server then parses the same request
# bytes as a session server). Nothing for a bare server without `--cookie`.
request_cookie() {
  local cookie
  cookie=$(server_cookie "$1")
  if [ -z "$cookie" ] && [ "${2:-}" = "--cookie" ]; then
    cookie="__Host-sid=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  fi
  echo "$cookie"
}
