#!/usr/bin/env bash
# `slimbuild audit` on our own images: the curl image passes the default
# policy (exit 0) as a layout, as an oci-archive and from a registry; its
# packages are the ones its dpkg records name. The SBOM referrer accounts
# for every file: the layout passes `fail: [unaccounted-file]` while the
# archive (which carries no referrer) fails it with exit 4 naming the
# rule. A private key shipped on purpose (files: naming it) is found by the
# same secret detector the build uses. Bad policies are errors with a line.
source "$(dirname "$0")/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
sb_on_exit reg_cleanup
trap sb_cleanup EXIT
need_cmd docker-registry openssl

work=$(sb_tmpdir work)
export SOURCE_DATE_EPOCH=1700000000
M=$SLIMBUILD_SOURCE_DIR/manifests/curl.yml
sb_build "$M" "$work/curl"
"$SLIMBUILD" build "$M" -o "$work/curl.tar" --format oci-archive >/dev/null 2>&1 || fail "oci-archive build"

audit_ok() {
  local out rc=0
  out=$("$SLIMBUILD" audit "$@" 2>&1) || rc=$?
  [[ $rc -eq 0 ]] || fail "audit $* exited $rc:
$out"
  printf '%s\n' "$out"
}
out=$(audit_ok "$work/curl:7.88")
assert_contains "$out" "policy default: passed" "audit of the curl layout"
assert_eq "$SB_DIGEST" "$(tail -n 1 <<<"$out")" "digest line of audit"
audit_ok "oci-archive:$work/curl.tar" >/dev/null

"$SLIMBUILD" audit "$work/curl:7.88" --json >"$work/a.json" || fail "audit --json"
"$SB_PY" - "$work/a.json" <<'PY' || fail "audit --json of the curl image"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["policy"]["passed"] is True and r["user"] == "10001:10001", r["policy"]
rules = {f["rule"] for f in r["findings"]}
assert not rules & {"shell", "package-manager", "setuid", "setgid", "root-user", "secret", "unaccounted-file"}, rules
names = {p["name"] for p in r["packages"] if p["source"] == "status.d"}
assert {"curl", "libcurl4", "libc6", "libssl3"} <= names, names
PY

# Accounting: with the SBOM every file is known; the archive has no referrer.
printf 'fail: [unaccounted-file]\n' >"$work/acct.yml"
audit_ok "$work/curl:7.88" --policy "$work/acct.yml" >/dev/null
rc=0
"$SLIMBUILD" audit "oci-archive:$work/curl.tar" --policy "$work/acct.yml" >/dev/null 2>"$work/acct.err" || rc=$?
assert_eq 4 "$rc" "exit code for unaccounted files in the archive"
assert_contains "$(cat "$work/acct.err")" "unaccounted-file" "stderr naming the failing rule"

# From a registry (pulled into a temporary layout).
start_registry plain plain
"$SLIMBUILD" push "$work/curl:7.88" "$REG_ADDR/tools/curl:7.88" --insecure-registry >/dev/null 2>&1 || fail "push"
audit_ok "$REG_ADDR/tools/curl:7.88" --insecure-registry >/dev/null

# A secret shipped on purpose is still reported, by the build's own detector.
app=$(sb_tmpdir app)
openssl genpkey -algorithm ed25519 -out "$app/server.pem" 2>/dev/null || fail "openssl genpkey"
cat >"$app/m.yml" <<YAML
name: keyed
binary: {path: /usr/bin/curl, dest: /usr/bin/curl}
user: {name: app, uid: 65532}
files:
  - {src: server.pem, dest: /etc/app/server.pem}
YAML
sb_build "$app/m.yml" "$work/keyed"
rc=0
"$SLIMBUILD" audit "$work/keyed" --json >"$work/k.json" 2>"$work/k.err" || rc=$?
assert_eq 4 "$rc" "exit code of audit on an image holding a private key"
"$SB_PY" - "$work/k.json" <<'PY' || fail "secret not reported: $(cat "$work/k.json")"
import json, sys
r = json.load(open(sys.argv[1]))
s = [f for f in r["findings"] if f["rule"] == "secret"]
assert [f["path"] for f in s] == ["/etc/app/server.pem"] and "PRIVATE KEY" in s[0]["detail"], s
PY
assert_not_contains "$(cat "$work/k.json" "$work/k.err")" "$(sed -n 2p "$app/server.pem")" "audit output (the key itself)"

# Bad policies: file:line:column, exit 1, before any image is read.
printf 'fail: [shel]\n' >"$work/bad.yml"
rc=0
out=$("$SLIMBUILD" audit "$work/curl:7.88" --policy "$work/bad.yml" 2>&1) || rc=$?
assert_eq 1 "$rc" "exit code for a misspelt rule"
assert_contains "$out" "bad.yml:1:8" "error location"
assert_contains "$out" "did you mean 'shell'" "error hint"
rc=0
out=$("$SLIMBUILD" audit "$work/nonexistent" 2>&1) || rc=$?
[[ $rc -ne 0 && $rc -ne 4 ]] || fail "audit of a missing image exited $rc"
note "ok"
