#!/usr/bin/env bash
# The ready manifests in manifests/ for real system binaries (curl, git,
# python3) build images that run as their non-root users: curl reads files
# and talks TLS to a local server that only trusts a CA of our own, git
# creates a repository and commits, python3 imports json/os from the
# trimmed stdlib. These are big dependency closures (curl pulls ~30 libs).
source "$(dirname "$0")/lib.sh"
need_root
need_cmd umoci openssl

work=$(sb_tmpdir work)

# --- curl -----------------------------------------------------------------
sb_build "$SLIMBUILD_SOURCE_DIR/manifests/curl.yml" "$work/curl"
curl_img=$(image_unpack "$work/curl" 7.88)
output=$(image_exec "$curl_img" 10001:10001 2>&1) || fail "curl --version failed in the image: $output"
assert_match "$output" "^curl [0-9]+\.[0-9]+" "curl --version"
assert_contains "$output" "OpenSSL" "curl --version"
output=$(image_exec "$curl_img" - -- -sS file:///etc/passwd 2>&1) || fail "curl file:// failed: $output"
assert_eq "curl:x:10001:10001::/home/curl:/sbin/nologin" "$output" "/etc/passwd read by curl in the image"

# TLS: a CA and a server certificate for 127.0.0.1, a Python HTTPS server on
# a free port, and a curl image whose CA bundle is that CA only.
tls=$(sb_tmpdir tls)
(
  cd "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sb-test-ca -keyout ca.key -out ca.pem
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout srv.key -out srv.csr
  printf 'subjectAltName=IP:127.0.0.1\n' >ext
  openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext -out srv.pem
  echo "hello over tls" >index.html
) >"$tls/openssl.log" 2>&1 || fail "openssl could not make test certificates: $(cat "$tls/openssl.log")"
port=$(free_port)
"$SB_PY" - "$tls" "$port" >"$tls/server.log" 2>&1 <<'PY' &
import http.server, ssl, sys, functools
d, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(f"{d}/srv.pem", f"{d}/srv.key")
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=d)
srv = http.server.HTTPServer(("127.0.0.1", port), h)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
server=$!
sb_on_exit "kill $server"
sed "s#^ca_certificates: true#ca_certificates: $tls/ca.pem#" "$SLIMBUILD_SOURCE_DIR/manifests/curl.yml" >"$work/curl-tls.yml"
sb_build "$work/curl-tls.yml" "$work/curl-tls"
curl_tls=$(image_unpack "$work/curl-tls" 7.88)
body=""
for _ in $(seq 1 50); do
  body=$(image_exec "$curl_tls" - -- -sS --max-time 5 "https://127.0.0.1:$port/index.html" 2>&1) && break
  sleep 0.2
done
assert_eq "hello over tls" "$body" "https body fetched by curl in the image"
# ... and the system-bundle image does not trust that CA: verification is real.
output=$(image_exec "$curl_img" - -- -sS --max-time 5 "https://127.0.0.1:$port/index.html" 2>&1) &&
  fail "curl trusted a private CA it was never given: $output"
assert_contains "$output" "certificate" "curl's error against an unknown CA"
kill "$server" 2>/dev/null || true

# --- git ------------------------------------------------------------------
sb_build "$SLIMBUILD_SOURCE_DIR/manifests/git.yml" "$work/git"
git_img=$(image_unpack "$work/git" 2.39)
output=$(image_exec "$git_img" - 2>&1) || fail "git --version failed in the image: $output"
assert_match "$output" "^git version [0-9]" "git --version"
# Several commands on one unpacked tree share its /tmp, like one container.
output=$(image_exec "$git_img" - -- init -q /tmp/r 2>&1) || fail "git init failed in the image: $output"
output=$(image_exec "$git_img" - -- -C /tmp/r -c user.name=t -c user.email=t@example.com \
  commit -q --allow-empty -m "made in a slimbuild image" 2>&1) || fail "git commit failed in the image: $output"
output=$(image_exec "$git_img" - -- -C /tmp/r log --format=%s 2>&1) || fail "git log failed in the image: $output"
assert_eq "made in a slimbuild image" "$output" "git log in the image"
assert_eq 10002 "$(stat -c %u "$git_img/bundle/rootfs/tmp/r/.git/HEAD")" "owner of the repository git created"

# --- python3 --------------------------------------------------------------
sb_build "$SLIMBUILD_SOURCE_DIR/manifests/python3.yml" "$work/python3"
py_listing=$(layer_listing "$work/python3" 3.11)
if grep -q __pycache__ <<<"$py_listing"; then fail "exclude: [__pycache__/] did not keep the bytecode caches out"; fi
grep -q 'usr/lib/python3.11/encodings/utf_8.py$' <<<"$py_listing" || fail "encodings/utf_8.py is missing from the python3 image"
py_img=$(image_unpack "$work/python3" 3.11)
output=$(image_exec "$py_img" - 2>&1) || fail "python3 failed in the image: $output"
assert_match "$output" "^3\.11\." "python3 default command"
output=$(image_exec "$py_img" - -- -c 'import json,os; print(os.getuid(), json.dumps({"ok": [1, 2]}))' 2>&1) ||
  fail "python3 -c 'import json,os' failed in the image: $output"
assert_eq '10003 {"ok": [1, 2]}' "$output" "python3 in the image"
for t in curl git python3; do
  note "$t: $(du -sh "$work/$t" | cut -f1) layout"
done
note "ok"
