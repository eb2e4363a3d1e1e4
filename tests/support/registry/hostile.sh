# Helpers for the trust-boundary tests (sourced after lib.sh): start the
# hostile registry and the recording "other origin" of hostile_registry.py on
# free loopback ports, over TLS with the certificates of gen_certs.
# shellcheck shell=bash

# hostile_setup: the secrets (REG_USER/REG_PASS, HOSTILE_TOKEN), certificates
# (CA), W=$REG_WORK and a small layout $W/lay tagged v1.
hostile_setup() {
  reg_require python3 openssl curl
  REG_USER=hostile-user
  REG_PASS="pw-$RANDOM-s3cret"
  HOSTILE_TOKEN="tok-$RANDOM-SECRET-bearer"
  gen_certs "$REG_WORK/certs"
  W=$REG_WORK
  CA="$W/certs/ca.pem"
  make_layout "$W/lay" v1 50000 >/dev/null || fail "make_layout"
}

# start_hostile VAR plain|tls ARGS...: starts hostile_registry.py PORT ARGS and
# sets VAR to its origin (scheme://127.0.0.1:PORT).
start_hostile() {
  local var=$1 mode=$2 prefix=http:// curl_extra=(); shift 2
  _HOSTILE_ARGS=("$@")
  _HOSTILE_TLS=()
  if [[ $mode == tls ]]; then
    _HOSTILE_TLS=(--tls "$REG_WORK/certs/server.pem" "$REG_WORK/certs/server.key")
    prefix=https:// curl_extra=(--cacert "$REG_WORK/certs/ca.pem")
  fi
  _HOSTILE_LOG="$REG_WORK/hostile.$var.log"
  spawn_on_free_port _launch_hostile "${prefix}127.0.0.1:" /health "${curl_extra[@]}" ||
    { cat "$_HOSTILE_LOG" >&2; fail "hostile_registry.py ${_HOSTILE_ARGS[*]} did not start"; }
  printf -v "$var" '%s' "${prefix}127.0.0.1:$SPAWNED_PORT"
}

_launch_hostile() {
  python3 "$REG_SUPPORT_DIR/hostile_registry.py" "$1" "${_HOSTILE_TLS[@]}" "${_HOSTILE_ARGS[@]}" > "$_HOSTILE_LOG" 2>&1 &
  SPAWNED_PID=$!
}

# no_secrets FILE...: none of the secrets ($REG_PASS, base64 user:password,
# the bearer token $HOSTILE_TOKEN) appears in FILEs.
no_secrets() {
  local b64 s
  b64=$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)
  for s in "$REG_PASS" "$b64" "${HOSTILE_TOKEN:-}"; do
    [[ -z $s ]] && continue
    if grep -aqF -- "$s" "$@"; then
      grep -anF -- "$s" "$@" | cut -c1-300 >&2
      fail "a secret ($( [[ $s == "$REG_PASS" ]] && echo password || { [[ $s == "$b64" ]] && echo 'base64 user:password' || echo 'bearer token'; } )) appears in: $*"
    fi
  done
}
