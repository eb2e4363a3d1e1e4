#!/usr/bin/env bash
# Issue 8, findings 1 and 8: credentials stay with their origin. A hostile
# TLS registry of our own (tests/support/registry/hostile_registry.py) sends
# the upload (POST Location) or a blob download (307) to another origin, a
# recorder that keeps every byte it receives. Over plain http that must be
# refused without --insecure-registry (the recorder hears nothing at all);
# over https it is followed, but no Authorization (Basic or Bearer) and no
# secret in any form reaches the other origin; https->http under
# --insecure-registry is followed only with a warning.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/hostile.sh"
hostile_setup
push() { # push NAME REGISTRY_ORIGIN REF_PATH [flags]: stdout/stderr in $W/NAME.out/.err
  local name=$1 origin=$2 path=$3; shift 3
  printf '%s\n' "$REG_PASS" | timeout 120 "$SLIMBUILD" push "$W/lay" "${origin#*://}/$path" --ca-file "$CA" \
    --username "$REG_USER" --password-stdin "$@" > "$W/$name.out" 2> "$W/$name.err"
}
nothing_received() { [[ ! -s $1 ]] || { head -c 2000 "$1" >&2; fail "$2: the other origin received the above"; }; }
no_authorization() {
  if grep -aqi '^authorization:' "$1"; then grep -ai '^authorization:' "$1" >&2; fail "$2: Authorization reached the other origin"; fi
  no_secrets "$1"
}

# 1. Upload Location to plain http on another port: refused, nothing sent there.
start_hostile REC1 plain --record "$W/rec1"
start_hostile REG1 tls --auth basic "$REG_USER" "$REG_PASS" --attack location "$REC1"
push p1 "$REG1" team/app:1 && fail "push followed an upload Location to plain http without --insecure-registry"
grep -q "plain http" "$W/p1.err" || fail "the error does not say the upload was sent to plain http: $(cat "$W/p1.err")"
grep -q -- "--insecure-registry" "$W/p1.err" || fail "no --insecure-registry hint: $(cat "$W/p1.err")"
nothing_received "$W/rec1" "http Location"
no_secrets "$W"/p1.*

# 2. Upload Location to another https origin (same host, other port): followed
#    without credentials; the registry's Basic password stays with it.
start_hostile REC2 tls --record "$W/rec2"
start_hostile REG2 tls --auth basic "$REG_USER" "$REG_PASS" --attack location "$REC2"
push p2 "$REG2" team/app:2 || fail "push via an https Location to another origin failed: $(cat "$W/p2.err")"
grep -aq '^PUT /upload/1?digest=sha256' "$W/rec2" || fail "the blob did not go to the Location's origin"
no_authorization "$W/rec2" "Basic, https Location"
no_secrets "$W"/p2.*

# 3. The same with a bearer-token registry: the token stays with the registry.
start_hostile REC3 tls --record "$W/rec3"
start_hostile REG3 tls --auth bearer "$REG_USER" "$REG_PASS" --token "$HOSTILE_TOKEN" --attack location "$REC3"
push p3 "$REG3" team/app:3 || fail "bearer push via an https Location failed: $(cat "$W/p3.err")"
grep -aq '^PUT /upload/1?digest=sha256' "$W/rec3" || fail "the blob did not go to the Location's origin (bearer)"
no_authorization "$W/rec3" "Bearer, https Location"
no_secrets "$W"/p3.*

# 4. --insecure-registry allows the plain http Location, but says so, and
#    still sends no credentials there.
: > "$W/rec1"
push p4 "$REG1" team/app:4 --insecure-registry || fail "push with --insecure-registry failed: $(cat "$W/p4.err")"
grep -q "warning: .*plain http" "$W/p4.err" || fail "https->http was followed silently: $(cat "$W/p4.err")"
grep -aq '^PUT /upload/1?digest=sha256' "$W/rec1" || fail "the blob did not go to the http Location"
no_authorization "$W/rec1" "Basic, http Location with --insecure-registry"

# 5. Pull (inspect REF): a blob GET redirected https -> http on another origin
#    is refused without --insecure-registry; the recorder hears nothing.
start_hostile REC5 plain --record "$W/rec5" --layout "$W/lay"
start_hostile REG5 tls --auth basic "$REG_USER" "$REG_PASS" --layout "$W/lay" --attack redirect "$REC5"
inspect() { # inspect NAME ORIGIN [flags]
  local name=$1 origin=$2; shift 2
  printf '%s\n' "$REG_PASS" | timeout 120 "$SLIMBUILD" inspect "${origin#*://}/team/app:v1" --no-trace --ca-file "$CA" \
    --username "$REG_USER" --password-stdin "$@" > "$W/$name.out" 2> "$W/$name.err"
}
inspect i5 "$REG5" && fail "a blob download followed a redirect from https to plain http"
grep -q "plain http" "$W/i5.err" || fail "the error does not name the https->http redirect: $(cat "$W/i5.err")"
nothing_received "$W/rec5" "https->http blob redirect"
no_secrets "$W"/i5.*

# 6. A blob redirect to another https origin (storage) is followed, without credentials.
start_hostile REC6 tls --record "$W/rec6" --layout "$W/lay"
start_hostile REG6 tls --auth basic "$REG_USER" "$REG_PASS" --layout "$W/lay" --attack redirect "$REC6"
inspect i6 "$REG6" || fail "inspect via a redirect to https storage failed: $(cat "$W/i6.err")"
grep -aq '^GET /blob/sha256:' "$W/rec6" || fail "the blob was not fetched from the redirect target"
no_authorization "$W/rec6" "blob redirect to https storage"
no_secrets "$W"/i6.*
echo PASS
