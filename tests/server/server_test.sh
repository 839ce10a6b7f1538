#!/usr/bin/env bash
# server_test.sh — `attnscope serve` as a hostile client sees it, on 127.0.0.1 only: traversal
# (.., encoded, backslash, absolute, symlinks out of the root), NUL bytes, the Host check, no
# directory listing, the security headers, ETag / Last-Modified with 304, a slow-connection test
# (bounded: 24 connections sending one header line a second for 12 s, while a client fetches the
# page) and a load test with ab (<= 100 connections, <= 60 s in all).
#   server_test.sh ATTNSCOPE [RESULTS_FILE]
set -u
cli=$1
results=${2:-}
fail=0
check() { # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

root=$tmp/root
mkdir -p "$root/models/m" "$root/empty"
printf '<!doctype html><title>t</title>\n' >"$root/index.html"
printf 'console.log(1)\n' >"$root/page.js"
printf '{"a": 1}\n' >"$root/models/m/config.json"
echo secret >"$tmp/outside.txt"
ln -s "$tmp/outside.txt" "$root/leak.txt"           # a symlink out of the root
ln -s /etc "$root/etc"                              # a folder symlink out of the root
ln -s "$root/page.js" "$root/alias.js"              # a symlink inside it: fine

"$cli" serve --root "$root" --port 0 >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 50); do grep -q 'http://' "$tmp/out" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/out")
port=${url##*:}
check "serve prints its address" test -n "$url"

status() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@"; }
check "index is served" test "$(status "$url/")" = 200
check "a file is served" test "$(status "$url/models/m/config.json")" = 200
check "a symlink inside the root is served" test "$(status "$url/alias.js")" = 200
check "symlink to a file outside: 404" test "$(status "$url/leak.txt")" = 404
check "symlink to a folder outside: 404" test "$(status "$url/etc/passwd")" = 404
check "..: refused" test "$(status "$url/../outside.txt")" != 200
check "encoded %2e%2e: refused" test "$(status "$url/%2e%2e/outside.txt")" != 200
check "encoded %2f..: refused" test "$(status "$url/models%2f..%2f..%2foutside.txt")" != 200
check "backslash: refused" test "$(status "$url/models%5c..%5c..%5coutside.txt")" != 200
check "absolute path: refused" test "$(status "$url//etc/passwd")" != 200
check "NUL (%00): refused" test "$(status "$url/index.html%00.js")" = 400
check "no directory listing" test "$(status "$url/empty/")" = 404
check "Host evil.example: refused" test "$(status -H 'Host: evil.example' "$url/")" = 421
check "Host localhost:port: served" test "$(status -H "Host: localhost:$port" "$url/")" = 200
check "request without Host: refused" test "$(status -H 'Host:' "$url/")" = 421

headers=$(curl -s -D - -o /dev/null "$url/page.js" | tr -d '\r')
has() { grep -qi "^$1" <<<"$headers"; }
check "Content-Security-Policy, nothing outside 'self'" \
  grep -qi "^Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval';" <<<"$headers"
check "X-Content-Type-Options: nosniff" has "X-Content-Type-Options: nosniff"
check "COOP same-origin" has "Cross-Origin-Opener-Policy: same-origin"
check "COEP require-corp" has "Cross-Origin-Embedder-Policy: require-corp"
check "JavaScript as text/javascript" has "Content-Type: text/javascript"
etag=$(grep -i '^ETag:' <<<"$headers" | cut -d' ' -f2-)
modified=$(grep -i '^Last-Modified:' <<<"$headers" | cut -d' ' -f2-)
check "ETag sent" test -n "$etag"
check "Last-Modified sent" test -n "$modified"
check "If-None-Match: 304" test "$(status -H "If-None-Match: $etag" "$url/page.js")" = 304
check "If-Modified-Since: 304" test "$(status -H "If-Modified-Since: $modified" "$url/page.js")" = 304
check "stale ETag: 200" test "$(status -H 'If-None-Match: "x"' "$url/page.js")" = 200
check "404s carry the headers too" grep -qi '^X-Content-Type-Options: nosniff' \
  <<<"$(curl -s -D - -o /dev/null "$url/nope" | tr -d '\r')"

# Slow connections: each sends a request line, then one header line a second for 12 s.
python3 - "$port" >"$tmp/slow" <<'PY' &
import socket, sys, threading, time
port = int(sys.argv[1])
def slow():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    try:
        for i in range(12):
            time.sleep(1)
            s.sendall(b"X-Slow-%d: 1\r\n" % i)
    except OSError:
        pass
    s.close()
threads = [threading.Thread(target=slow) for _ in range(24)]
for t in threads: t.start()
for t in threads: t.join()
PY
slow_pid=$!
sleep 2
worst=0
for i in $(seq 8); do
  t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 "$url/")
  code=${t% *}; secs=${t#* }
  if [ "$code" = 200 ]; then worst=$(python3 -c "print(max($worst, $secs))"); else worst=99; echo "slow test: got $t"; fi
  sleep 1
done
wait $slow_pid
check "page served during 24 slow connections (slowest of 8: ${worst} s)" \
  python3 -c "import sys; sys.exit(0 if $worst < 1.0 else 1)"

# Load: ab on loopback, 100 connections, bounded by -t and -n.
load() { # load LABEL AB_ARGS...
  local label=$1; shift
  local log; log=$(ab -q -s 10 "$@" 2>&1)
  local rps failed complete
  rps=$(grep -o 'Requests per second: *[0-9.]*' <<<"$log" | awk '{print $4}')
  failed=$(grep -o 'Failed requests: *[0-9]*' <<<"$log" | awk '{print $3}')
  complete=$(grep -o 'Complete requests: *[0-9]*' <<<"$log" | awk '{print $3}')
  local non2xx; non2xx=$(grep -o 'Non-2xx responses: *[0-9]*' <<<"$log" | awk '{print $3}')
  grep -A1 "Failed requests" <<<"$log" | tr -s " " | tr "\n" " "; echo
  echo "load $label: ${complete:-0} requests, ${rps:-0} requests/s, ${failed:-?} failed, ${non2xx:-0} non-2xx"
  [ -n "$results" ] && echo "| $label | ${complete:-0} | ${rps:-0} | ${failed:-?} | ${non2xx:-0} |" >>"$results"
  check "load $label: no errors" test "${failed:-1}" = 0 -a "${non2xx:-0}" = 0 -a "${complete:-0}" -gt 0
}
if command -v ab >/dev/null; then
  [ -n "$results" ] && printf '| test | requests | requests/s | failed | non-2xx |\n|---|---|---|---|---|\n' >"$results"
  load "index.html, 100 connections" -t 15 -n 20000 -c 100 "$url/"
  load "index.html, 100 keep-alive connections" -t 15 -n 20000 -c 100 -k "$url/"
  load "config.json, 50 connections" -t 10 -n 10000 -c 50 "$url/models/m/config.json"
else
  echo "FAIL ab (apache2-utils) is not installed"; fail=1
fi
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
exit $fail
