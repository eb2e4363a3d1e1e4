#!/usr/bin/env bash
# Pushing the hello-cpp example to a real registry, in the three set-ups
# users meet: plain HTTP without auth (a local test registry), TLS with a
# private CA and htpasswd Basic auth (a company registry), and TLS with
# distribution's token auth (how Docker Hub, GHCR, Harbor, GitLab work).
# Each run starts docker-registry on a free loopback port, shows and runs the
# exact commands a user types, checks that skopeo sees the digest slimbuild
# printed, pushes again to show that nothing is uploaded twice, and stops the
# registry on exit. Any mismatch ends the demo with a non-zero exit.
#
#   scripts/push-demo.sh plain|tls|token|all
#
# The registries, certificates, passwords and slimbuild's credential and
# mount caches live in a private temp dir (tests/support/registry/lib.sh), so
# the demo neither reads nor changes ~/.docker or ~/.cache. Environment:
#   SLIMBUILD_SKIP_SETUP=1  do not run scripts/setup.sh (tests, repeated runs)
#   SLIMBUILD               the CLI to use (default build/slimbuild)
#   PUSH_DEMO_EXAMPLE       the example directory (default examples/hello-cpp)
#   PUSH_DEMO_OUT           where layouts go (default out/hello-cpp)
#   PUSH_DEMO_PASSWORD      the registry password (default: random per run)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
if [[ -n ${NO_COLOR:-} || ! -t 1 ]]; then step() { printf '\n==> %s\n' "$*"; }; fi
die() { echo "push-demo: $*" >&2; exit 1; }
# show TEXT: prints a command as a user would type it; quoted ARGS... shell-quotes words.
show() { printf '$ %s\n' "$*"; }
quoted() { local a out=""; for a; do out+=" $(printf '%q' "$a")"; done; printf '%s' "${out# }"; }

mode=${1:-}
case $mode in
  plain | tls | token | all) ;;
  *)
    echo "usage: scripts/push-demo.sh plain|tls|token|all" >&2
    echo "  plain: HTTP, no auth   tls: TLS + htpasswd Basic auth   token: TLS + token auth   all: the three in turn" >&2
    exit 2 ;;
esac

if [[ ${SLIMBUILD_SKIP_SETUP:-0} != 1 ]]; then
  [[ $(id -u) -eq 0 ]] || die "please run as root: scripts/setup.sh installs packages (or set SLIMBUILD_SKIP_SETUP=1)"
  step "Installing packages and building slimbuild (scripts/setup.sh)"
  scripts/setup.sh
  export SLIMBUILD_SKIP_SETUP=1  # once is enough when `all` runs the set-ups in turn
fi

SLIMBUILD=${SLIMBUILD:-build/slimbuild}
EXAMPLE=${PUSH_DEMO_EXAMPLE:-examples/hello-cpp}
OUT=${PUSH_DEMO_OUT:-out/hello-cpp}
[[ -x $SLIMBUILD ]] || die "$SLIMBUILD is missing: run scripts/setup.sh (or set SLIMBUILD=path/to/slimbuild)"
export SLIMBUILD PUSH_DEMO_EXAMPLE=$EXAMPLE PUSH_DEMO_OUT=$OUT

if [[ ! -x $EXAMPLE/build/hello || $EXAMPLE/main.cpp -nt $EXAMPLE/build/hello ]]; then
  step "Compiling the example program ($EXAMPLE/build.sh)"
  "$EXAMPLE/build.sh"
fi

if [[ $mode == all ]]; then
  for m in plain tls token; do
    bash "$0" "$m" || die "the $m set-up failed"
  done
  step "All three set-ups pushed the same image, and skopeo agreed each time"
  exit 0
fi

for tool in docker-registry skopeo openssl python3 curl htpasswd; do
  command -v "$tool" >/dev/null || die "$tool is not installed: run scripts/setup.sh"
done
source tests/support/registry/lib.sh
# lib.sh's own trap would stop at the first registry that already exited under set -e.
trap 'set +e; reg_cleanup' EXIT

# A token server that speaks TLS (token_server.py itself serves plain HTTP):
# slimbuild, like docker, refuses to send a password to an http:// realm.
_launch_tls_token_server() {
  python3 - "$REG_SUPPORT_DIR/token_server.py" "$REG_WORK/certs/server.pem" "$REG_WORK/certs/server.key" \
    "$1" "$REG_WORK/token/key.pem" "$REG_WORK/token/cert.pem" "$REG_USER" "$REG_PASS" > "$TOKEN_LOG" 2>&1 <<'PY' &
import http.server, os, runpy, ssl, sys
script, cert, key = sys.argv[1:4]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python3 script` would (json_handler.py)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
plain_serve = http.server.ThreadingHTTPServer.serve_forever
def serve_tls(self, *args, **kwargs):
    self.socket = ctx.wrap_socket(self.socket, server_side=True)
    plain_serve(self, *args, **kwargs)
http.server.ThreadingHTTPServer.serve_forever = serve_tls
sys.argv = [script] + sys.argv[4:]
runpy.run_path(script, run_name="__main__")
PY
  SPAWNED_PID=$!
}

# start_token_tls_registry: the token server and a TLS registry trusting its signer.
start_token_tls_registry() {
  mkdir -p "$REG_WORK/token"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=slimbuild demo token signer" \
    -keyout "$REG_WORK/token/key.pem" -out "$REG_WORK/token/cert.pem" 2>/dev/null || die "openssl: token signing key"
  TOKEN_LOG="$REG_WORK/token/log"
  spawn_on_free_port _launch_tls_token_server "https://127.0.0.1:" /health --cacert "$CA" ||
    { cat "$TOKEN_LOG" >&2; die "the token server did not start"; }
  TOKEN_PORT=$SPAWNED_PORT
  REG_DIR="$REG_WORK/token-registry"
  mkdir -p "$REG_DIR/data"
  REG_AUTH=$'auth:\n  token:\n    realm: https://127.0.0.1:'"$TOKEN_PORT"$'/token\n    service: slimbuild-test\n    issuer: slimbuild-test-issuer\n    rootcertbundle: '"$REG_WORK/token/cert.pem"
  REG_TLS=$'  tls:\n    certificate: '"$REG_WORK/certs/server.pem"$'\n    key: '"$REG_WORK/certs/server.key"
  spawn_on_free_port _launch_registry "https://127.0.0.1:" /v2/ --cacert "$CA" ||
    { cat "$REG_DIR/log" >&2; die "docker-registry (token auth) did not start"; }
  REG_PORT=$SPAWNED_PORT
  REG_ADDR="127.0.0.1:$REG_PORT"
}

REG_USER=demo
# A fresh random password each run; it is never printed.
DEMO_PASSWORD=${PUSH_DEMO_PASSWORD:-$(openssl rand -hex 16)}
REG_PASS=$DEMO_PASSWORD
CA="$REG_WORK/certs/ca.pem"
case $mode in
  plain)
    step "[plain] Starting docker-registry over plain HTTP, no authentication"
    start_registry plain plain
    echo "registry: http://$REG_ADDR (anyone may push)"
    push_flags=(--insecure-registry)
    skopeo_flags=(--tls-verify=false) ;;
  tls | token)
    gen_certs "$REG_WORK/certs"
    mkdir -p "$REG_WORK/skopeo-certs" && cp "$CA" "$REG_WORK/skopeo-certs/ca.crt"
    if [[ $mode == tls ]]; then
      step "[tls] Starting docker-registry over TLS (a CA made for this demo) with htpasswd Basic auth"
      start_registry tls tls-basic
    else
      step "[token] Starting a token server and docker-registry over TLS with token auth"
      start_token_tls_registry
      echo "token service: https://127.0.0.1:$TOKEN_PORT/token (tests/support/registry/token_server.py)"
    fi
    echo "registry: https://$REG_ADDR  user: $REG_USER  password: random, in \$DEMO_PASSWORD (never shown)"
    echo "CA: $CA (skopeo reads it as ca.crt in $REG_WORK/skopeo-certs)"
    push_flags=(--ca-file "$CA" --username "$REG_USER" --password-stdin)
    skopeo_flags=(--cert-dir "$REG_WORK/skopeo-certs" --creds "$REG_USER:$DEMO_PASSWORD") ;;
esac
REF="$REG_ADDR/examples/hello-cpp:1.0"

# push_image N: builds and pushes; stdout and stderr go to $REG_WORK/pushN.{out,err}.
push_image() {
  local n=$1 cmd=("$SLIMBUILD" build "$EXAMPLE/slimbuild.yml" -o "$OUT" --push --tag "$REF" "${push_flags[@]}") rc=0
  if [[ $mode == plain ]]; then
    show "$(quoted "${cmd[@]}")"
    "${cmd[@]}" > "$REG_WORK/push$n.out" 2> "$REG_WORK/push$n.err" < /dev/null || rc=$?
  else
    show "printf '%s\n' \"\$DEMO_PASSWORD\" | $(quoted "${cmd[@]}")"
    printf '%s\n' "$DEMO_PASSWORD" | "${cmd[@]}" > "$REG_WORK/push$n.out" 2> "$REG_WORK/push$n.err" || rc=$?
  fi
  cat "$REG_WORK/push$n.err" "$REG_WORK/push$n.out"
  [[ $rc -eq 0 ]] || die "[$mode] slimbuild exited with $rc"
  pushed=$(tail -n 1 "$REG_WORK/push$n.out")
  [[ $pushed =~ ^sha256:[0-9a-f]{64}$ ]] || die "[$mode] slimbuild did not print a digest as its last line"
}

step "[$mode] Building and pushing $REF"
push_image 1
digest=$pushed

step "[$mode] What the registry serves (skopeo inspect)"
if [[ $mode == plain ]]; then
  show "skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://$REF"
else
  show "skopeo inspect --cert-dir $REG_WORK/skopeo-certs --creds \"$REG_USER:\$DEMO_PASSWORD\" --format '{{.Digest}}' docker://$REF"
fi
seen=$(skopeo inspect "${skopeo_flags[@]}" --format '{{.Digest}}' "docker://$REF") || die "[$mode] skopeo inspect failed"
echo "slimbuild printed: $digest"
echo "skopeo sees:       $seen"
[[ $seen == "$digest" ]] || die "[$mode] the registry serves $seen but slimbuild printed $digest"

step "[$mode] Pushing again: the same image, so every blob already exists"
push_image 2
[[ $pushed == "$digest" ]] || die "[$mode] the rebuild printed $pushed, the first build $digest"
# Every blob a push sends: the config and layers of the image and of its
# referrers (blobs whose subject is the image; index.json lists only the image).
blobs=$(python3 tests/support/layout_referrers.py "$OUT" "$digest" | python3 -c '
import json, sys
lay, image = sys.argv[1], sys.argv[2]
def load(digest):
    return json.load(open(lay + "/blobs/sha256/" + digest.split(":")[1]))
manifests = [load(image)] + [load(line.split()[0]) for line in sys.stdin if line.strip()]
print(len({b["digest"] for m in manifests for b in [m["config"]] + m.get("layers", [])}))
' "$OUT" "$digest") || die "[$mode] cannot read the layout in $OUT"
exists=$(grep -c ' exists$' "$REG_WORK/push2.err" || true)
if grep -Eq ' (uploaded|mounted)' "$REG_WORK/push2.err"; then die "[$mode] the second push transferred blobs again"; fi
[[ $exists -eq $blobs ]] || die "[$mode] $exists of $blobs blobs said \"exists\" on the second push"
echo "push-demo [$mode]: ok: $REF is $digest; the second push uploaded nothing ($exists of $blobs blobs exist)"
