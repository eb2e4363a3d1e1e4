#!/usr/bin/env bash
# Push over verified TLS (a CA the test makes) to a registry with htpasswd
# Basic auth: trust via --ca-file or SSL_CERT_FILE, credentials via
# --username/--password-stdin, DOCKER_CONFIG auths, REGISTRY_AUTH_FILE and a
# credential helper. An untrusted certificate and a wrong password are clear
# errors, and no password ever shows up in any output.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
reg_require docker-registry skopeo htpasswd openssl python3

REG_USER=ci-user
REG_PASS="s3cret-$RANDOM-pass"
gen_certs "$REG_WORK/certs"
start_registry tls tls-basic
W=$REG_WORK
CA="$W/certs/ca.pem"
want=$(make_layout "$W/lay" v1 50000) || fail "make_layout"
no_secret() { ! grep -q -- "$REG_PASS" "$@" || fail "the password appears in $*"; }

# Untrusted certificate: refused with a hint about --ca-file, nothing on stdout.
echo "$REG_PASS" | "$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/app:1" --username "$REG_USER" --password-stdin \
  > "$W/o0" 2> "$W/e0" && fail "push to an untrusted certificate succeeded"
grep -q -- "--ca-file" "$W/e0" || fail "no --ca-file hint: $(cat "$W/e0")"
[ -s "$W/o0" ] && fail "stdout not empty on failure"

# No credentials at all: unauthorized.
"$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/app:1" --ca-file "$CA" > "$W/o1" 2> "$W/e1" && fail "anonymous push succeeded"
grep -qi "unauthorized" "$W/e1" || fail "no 'unauthorized' in: $(cat "$W/e1")"

# Wrong password: unauthorized, exit non-zero, the password not echoed.
echo "wrong-$REG_PASS" | "$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/app:1" --ca-file "$CA" --username "$REG_USER" \
  --password-stdin > "$W/o2" 2> "$W/e2" && fail "push with a wrong password succeeded"
grep -qi "unauthorized" "$W/e2" || fail "no 'unauthorized' in: $(cat "$W/e2")"
grep -q -- "wrong-" "$W/e2" "$W/o2" && fail "the wrong password was echoed"

# --ca-file + --username/--password-stdin (with a trailing newline, as CI pipes it).
printf '%s\n' "$REG_PASS" | "$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/app:1" --ca-file "$CA" --username "$REG_USER" \
  --password-stdin > "$W/o3" 2> "$W/e3" || { cat "$W/e3"; fail "push with --ca-file and --password-stdin failed"; }
[ "$(last_line "$W/o3")" = "$want" ] || fail "printed $(last_line "$W/o3"), want $want"
mkdir -p "$W/skopeo-certs" && cp "$CA" "$W/skopeo-certs/ca.crt"
got=$(skopeo inspect --cert-dir "$W/skopeo-certs" --creds "$REG_USER:$REG_PASS" --format '{{.Digest}}' \
  "docker://$REG_ADDR/team/app:1") || fail "skopeo inspect over TLS"
[ "$got" = "$want" ] || fail "skopeo sees $got"
no_secret "$W"/o* "$W"/e*

# SSL_CERT_FILE adds trust; DOCKER_CONFIG auths (base64) supplies credentials.
auth=$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)
printf '{"auths":{"https://%s/v1/":{"auth":"%s"}}}' "$REG_ADDR" "$auth" > "$DOCKER_CONFIG/config.json"
SSL_CERT_FILE="$CA" "$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/app:2" > "$W/o4" 2> "$W/e4" ||
  { cat "$W/e4"; fail "push with SSL_CERT_FILE and config.json auths failed"; }
[ "$(grep -c ' exists$' "$W/e4")" -eq 2 ] || fail "re-push did not find both blobs: $(cat "$W/e4")"
rm "$DOCKER_CONFIG/config.json"

# REGISTRY_AUTH_FILE (podman's auth.json, username/password form).
printf '{"auths":{"%s":{"username":"%s","password":"%s"}}}' "$REG_ADDR" "$REG_USER" "$REG_PASS" > "$W/auth.json"
REGISTRY_AUTH_FILE="$W/auth.json" "$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/app:3" --ca-file "$CA" > "$W/o5" 2> "$W/e5" ||
  { cat "$W/e5"; fail "push with REGISTRY_AUTH_FILE failed"; }

# A credential helper named in credHelpers, found on PATH.
mkdir -p "$W/bin"
cat > "$W/bin/docker-credential-slimtest" <<SH
#!/bin/sh
[ "\$1" = get ] || exit 1
read -r server
[ "\$server" = "$REG_ADDR" ] || { echo "credentials not found in native keychain"; exit 1; }
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "\$server" "$REG_USER" "$REG_PASS"
SH
chmod +x "$W/bin/docker-credential-slimtest"
printf '{"credHelpers":{"%s":"slimtest"}}' "$REG_ADDR" > "$DOCKER_CONFIG/config.json"
PATH="$W/bin:$PATH" "$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/helper:1" --ca-file "$CA" > "$W/o6" 2> "$W/e6" ||
  { cat "$W/e6"; fail "push with a credential helper failed"; }
grep -q "mounted" "$W/e6" || fail "push to a second repo did not mount: $(cat "$W/e6")"
no_secret "$W"/o* "$W"/e*
echo PASS
