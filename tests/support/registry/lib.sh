# Shared helpers for registry integration tests and bench/push.sh: a private
# work dir, free loopback ports, a real docker-registry (plain, TLS+htpasswd,
# or token auth) started from a generated config, certificates made with the
# openssl CLI, the Python token server and fault proxy. Everything lives under
# $REG_WORK (mktemp -d) and is torn down by reg_cleanup (installed as a trap).
# shellcheck shell=bash

REG_SUPPORT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REG_WORK="$(mktemp -d "${TMPDIR:-/tmp}/slimbuild-reg.XXXXXX")"
REG_PIDS=()
# Fast retries, short stall detection: fault tests must finish in seconds.
export SLIMBUILD_RETRY_BASE_MS="${SLIMBUILD_RETRY_BASE_MS:-20}"
export XDG_CACHE_HOME="$REG_WORK/cache"
export DOCKER_CONFIG="$REG_WORK/docker-config"
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR SSL_CERT_FILE
mkdir -p "$DOCKER_CONFIG"

reg_cleanup() {
  local pid
  for pid in "${REG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${REG_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$REG_WORK"
}
trap reg_cleanup EXIT

# fail, skip
source "$REG_SUPPORT_DIR/../fail.sh"

reg_require() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null || skip "$t is not installed"; done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [extra curl args]: until anything answers HTTP (any status).
wait_http() {
  local url=$1; shift
  local i
  for i in $(seq 1 100); do
    if curl -s -o /dev/null "$@" "$url"; then return 0; fi
    sleep 0.1
  done
  return 1
}

# spawn_on_free_port LAUNCH_FN URL_PREFIX HEALTH_PATH [curl args]: calls
# LAUNCH_FN PORT (which starts a server in the background and sets
# SPAWNED_PID) on a fresh free port until the server answers, retrying when
# another test grabbed the port first. Sets SPAWNED_PORT.
spawn_on_free_port() {
  local launch=$1 prefix=$2 health=$3 attempt port; shift 3
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    "$launch" "$port"
    if wait_http "$prefix$port$health" "$@" && kill -0 "$SPAWNED_PID" 2>/dev/null; then
      REG_PIDS+=("$SPAWNED_PID")
      SPAWNED_PORT=$port
      return 0
    fi
    kill "$SPAWNED_PID" 2>/dev/null; wait "$SPAWNED_PID" 2>/dev/null
  done
  return 1
}

# gen_certs DIR: a CA and a server certificate for 127.0.0.1/localhost.
gen_certs() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=slimbuild test CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || fail "openssl: CA"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null || fail "openssl: server cert"
}

# start_registry NAME MODE: MODE is plain | tls-basic | token. Sets
# REG_PORT and REG_ADDR (127.0.0.1:PORT). tls-basic needs gen_certs
# "$REG_WORK/certs" and REG_USER/REG_PASS; token needs start_token_server.
start_registry() {
  local name=$1 mode=$2 scheme=http curl_extra=()
  REG_DIR="$REG_WORK/$name"
  mkdir -p "$REG_DIR/data"
  REG_AUTH="" REG_TLS=""
  case $mode in
    plain) ;;
    tls-basic)
      htpasswd -Bbn "$REG_USER" "$REG_PASS" > "$REG_DIR/htpasswd"
      REG_AUTH=$'auth:\n  htpasswd:\n    realm: slimbuild-test\n    path: '"$REG_DIR/htpasswd"
      REG_TLS=$'  tls:\n    certificate: '"$REG_WORK/certs/server.pem"$'\n    key: '"$REG_WORK/certs/server.key"
      scheme=https curl_extra=(--cacert "$REG_WORK/certs/ca.pem") ;;
    token)
      REG_AUTH=$'auth:\n  token:\n    realm: http://127.0.0.1:'"$TOKEN_PORT"$'/token\n    service: slimbuild-test\n    issuer: slimbuild-test-issuer\n    rootcertbundle: '"$REG_WORK/token/cert.pem" ;;
    *) fail "start_registry: unknown mode $mode" ;;
  esac
  spawn_on_free_port _launch_registry "$scheme://127.0.0.1:" /v2/ "${curl_extra[@]}" ||
    { cat "$REG_DIR/log" >&2; fail "docker-registry ($mode) did not start"; }
  REG_PORT=$SPAWNED_PORT
  REG_ADDR="127.0.0.1:$REG_PORT"
}

_launch_registry() {
  cat > "$REG_DIR/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$1
  secret: slimbuild-test-secret
$REG_TLS
$REG_AUTH
YAML
  docker-registry serve "$REG_DIR/config.yml" > "$REG_DIR/log" 2>&1 &
  SPAWNED_PID=$!
}

# start_token_server: a JWT issuer for `auth: token` (user $REG_USER/$REG_PASS).
start_token_server() {
  local d="$REG_WORK/token"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=slimbuild token signer" \
    -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null || fail "openssl: token key"
  TOKEN_LOG="$d/log"
  spawn_on_free_port _launch_token_server "http://127.0.0.1:" /health || { cat "$TOKEN_LOG" >&2; fail "token server did not start"; }
  TOKEN_PORT=$SPAWNED_PORT
}

_launch_token_server() {
  python3 "$REG_SUPPORT_DIR/token_server.py" "$1" "$REG_WORK/token/key.pem" "$REG_WORK/token/cert.pem" \
    "$REG_USER" "$REG_PASS" > "$TOKEN_LOG" 2>&1 &
  SPAWNED_PID=$!
}

# start_fault_proxy UPSTREAM_ADDR FAULTS...: sets PROXY_ADDR and PROXY_LOG. See fault_proxy.py.
start_fault_proxy() {
  _PROXY_ARGS=("$@")
  PROXY_LOG="$REG_WORK/proxy.$RANDOM.log"
  spawn_on_free_port _launch_fault_proxy "http://127.0.0.1:" /proxy-health || fail "fault proxy did not start"
  PROXY_ADDR="127.0.0.1:$SPAWNED_PORT"
}

_launch_fault_proxy() {
  python3 "$REG_SUPPORT_DIR/fault_proxy.py" "$1" "${_PROXY_ARGS[@]}" > "$PROXY_LOG" 2>&1 &
  SPAWNED_PID=$!
}

# make_layout DIR TAG SIZE [--seed N] [--referrer]: prints the manifest digest.
make_layout() { python3 "$REG_SUPPORT_DIR/make_layout.py" "$@"; }

# make_platforms_project DIR: a C "hi" compiled for linux/amd64 (gcc) and
# linux/arm64 (aarch64-linux-gnu-gcc) and DIR/slimbuild.yml building both
# into one image index (example.invalid/team/hi:2.0); seconds, not minutes.
make_platforms_project() {
  local dir=$1
  mkdir -p "$dir/build/amd64" "$dir/build/arm64"
  printf '#include <stdio.h>\nint main(void){puts("hi");return 0;}\n' >"$dir/hi.c"
  gcc -O2 -o "$dir/build/amd64/hi" "$dir/hi.c" || fail "gcc"
  aarch64-linux-gnu-gcc -O2 -o "$dir/build/arm64/hi" "$dir/hi.c" || fail "aarch64-linux-gnu-gcc"
  cat >"$dir/slimbuild.yml" <<'YML'
name: hi
image: example.invalid/team/hi:2.0
platforms:
  - {platform: linux/amd64, binary: build/amd64/hi}
  - {platform: linux/arm64, binary: build/arm64/hi}
user: {uid: 65532}
YML
}

# last_line FILE: the last line of FILE (where slimbuild prints the digest).
last_line() { tail -n 1 "$1"; }
