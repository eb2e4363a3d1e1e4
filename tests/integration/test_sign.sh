#!/usr/bin/env bash
# Signed images (issue 14): build --sign-key attaches a Sigstore bundle (DSSE
# over SLSA provenance) as a referrer without changing the image digest; the
# statement is byte-identical across rebuilds (with Ed25519 the whole bundle
# is); verify-signature checks key, subject and commit for a layout and for
# a pushed reference (referrers tag fallback on distribution 2.8); OpenSSL
# and the Sigstore project's own verifier (@sigstore/verify from npm) accept
# our bundles and refuse another key, a changed payload and another image's
# bundle; encrypted keys take their passphrase from stdin or the environment
# and it never shows; a bad key fails before anything is built.
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/integration/lib.sh"  # its EXIT trap runs both clean-ups
sb_on_exit reg_cleanup
need_cmd openssl
need_cmd git
reg_require docker-registry node npm

T=$SB_TMP
keys=$T/keys
mkdir -p "$keys"
openssl genpkey -algorithm ed25519 -out "$keys/ed.pem" 2>/dev/null
openssl pkey -in "$keys/ed.pem" -pubout -out "$keys/ed.pub"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$keys/ec.pem" 2>/dev/null
openssl pkey -in "$keys/ec.pem" -pubout -out "$keys/ec.pub"
openssl genpkey -algorithm ed25519 -out "$keys/other.pem" 2>/dev/null
openssl pkey -in "$keys/other.pem" -pubout -out "$keys/other.pub"
PASS='hunter2-Pass-phrase'
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc -pass "pass:$PASS" -out "$keys/enc.pem" 2>/dev/null

# A committed project: the manifest and a config file in git.
src=$T/src
mkdir -p "$src"
cat > "$src/slimbuild.yml" <<'YML'
name: signed
binary: {path: /usr/bin/true, dest: /app/true}
files: [{src: config.txt, dest: /etc/app/config.txt}]
user: {name: app, uid: 65532}
YML
echo "v1" > "$src/config.txt"
git -C "$src" init -q
git -C "$src" -c user.name=t -c user.email=t@example.com add -A
git -C "$src" -c user.name=t -c user.email=t@example.com commit -qm one
git -C "$src" remote add origin https://git.example.com/team/signed.git
commit1=$(git -C "$src" rev-parse HEAD)

bundle_of() {  # bundle_of LAYOUT IMAGE_DIGEST -> the bundle blob path
  local hex
  hex=$(python3 "$SLIMBUILD_SOURCE_DIR/tests/support/layout_referrers.py" "$1" "$2" \
    application/vnd.dev.sigstore.bundle.v0.3+json | awk 'NR == 1 {print $3}')
  [[ -n $hex ]] && echo "$1/blobs/sha256/${hex#sha256:}"
}
payload_of() { python3 -c 'import json,sys,base64; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["dsseEnvelope"]["payload"]))' "$1"; }

# 1. Signing never changes the image; the bundle is a referrer of it.
sb_build "$src/slimbuild.yml" "$T/plain"
plain=$SB_DIGEST
sb_build "$src/slimbuild.yml" "$T/ed1" --sign-key "$keys/ed.pem"
assert_eq "$SB_DIGEST" "$plain" "image digest with --sign-key"
b1=$(bundle_of "$T/ed1" "$plain")
[[ -n $b1 ]] || fail "no signature bundle referrer among the blobs of $T/ed1"
# The bundle is not listed in index.json: the image is its only entry.
assert_eq "1 $plain" "$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["manifests"]; print(len(m), m[0]["digest"])' "$T/ed1/index.json")" \
  "index.json entries of the signed layout"
python3 - "$b1" "$plain" "$commit1" <<'PY' || fail "statement content"
import json, sys, base64
b = json.load(open(sys.argv[1]))
assert b["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json", b["mediaType"]
assert "hint" in b["verificationMaterial"]["publicKey"]
st = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
assert st["_type"] == "https://in-toto.io/Statement/v1"
assert st["predicateType"] == "https://slsa.dev/provenance/v1"
assert st["subject"][0]["digest"]["sha256"] == sys.argv[2].split(":")[1]
bd = st["predicate"]["buildDefinition"]
assert bd["externalParameters"]["source"]["commit"] == sys.argv[3], bd
assert bd["externalParameters"]["source"]["repository"] == "https://git.example.com/team/signed.git", bd
assert bd["externalParameters"]["platforms"] == ["linux/amd64"], bd
names = [d["name"] for d in bd["resolvedDependencies"]]
assert "source" in names and "file:/etc/app/config.txt" in names, names
# /app/true is the sysroot's /usr/bin/true: Debian's coreutils, named as that package.
assert any(n.startswith("deb:libc6@") for n in names) and any(n.startswith("deb:coreutils@") for n in names), names
# Generated files (passwd, the dpkg records) are the image's, not dependencies.
assert not any(n.startswith("file:/etc/passwd") or n.startswith("file:/var/lib/dpkg/") for n in names), names
assert all("sha256" in d["digest"] for d in bd["resolvedDependencies"] if d["name"].startswith("file:")), bd
PY

# 2. Reproducible: Ed25519 bundles are identical; ECDSA statements are.
sb_build "$src/slimbuild.yml" "$T/ed2" --sign-key "$keys/ed.pem"
cmp -s "$b1" "$(bundle_of "$T/ed2" "$plain")" || fail "Ed25519 bundle differs between two rebuilds"
sb_build "$src/slimbuild.yml" "$T/ec1" --sign-key "$keys/ec.pem"
sb_build "$src/slimbuild.yml" "$T/ec2" --sign-key "$keys/ec.pem"
e1=$(bundle_of "$T/ec1" "$plain") e2=$(bundle_of "$T/ec2" "$plain")
cmp -s <(payload_of "$e1") <(payload_of "$e2") || fail "ECDSA statement differs between two rebuilds"
cmp -s <(payload_of "$e1") <(payload_of "$b1") || fail "the statement depends on the key type"

# 3. verify-signature on the layout.
"$SLIMBUILD" verify-signature "$T/ed1" --key "$keys/ed.pub" --source-commit "$commit1" \
  --source-repo https://git.example.com/team/signed >"$T/v.out" 2>"$T/v.err" || fail "verify-signature failed: $(cat "$T/v.err")"
assert_eq "$(tail -n 1 "$T/v.out")" "$plain" "verify-signature's last line"
"$SLIMBUILD" verify-signature "$T/ec1" --key "$keys/ec.pub" >/dev/null 2>&1 || fail "ECDSA bundle does not verify"
rc=0; "$SLIMBUILD" verify-signature "$T/ed1" --key "$keys/other.pub" 2>"$T/v.err" >/dev/null || rc=$?
assert_eq "$rc" 3 "exit code with another public key"
assert_contains "$(cat "$T/v.err")" "another key"
rc=0; "$SLIMBUILD" verify-signature "$T/ed1" --key "$keys/ed.pub" --source-commit 0123456789abcdef 2>"$T/v.err" >/dev/null || rc=$?
assert_eq "$rc" 3 "exit code with another commit"
assert_contains "$(cat "$T/v.err")" "built from commit $commit1"
rc=0; "$SLIMBUILD" verify-signature "$T/plain" --key "$keys/ed.pub" 2>"$T/v.err" >/dev/null || rc=$?
assert_eq "$rc" 3 "exit code for an unsigned image"
assert_contains "$(cat "$T/v.err")" "has no signature"

# 4. OpenSSL checks the PAE signature on its own.
pae_of() {  # pae_of BUNDLE -> writes $T/pae and $T/sig
  python3 - "$1" "$T/pae" "$T/sig" <<'PY'
import json, sys, base64
env = json.load(open(sys.argv[1]))["dsseEnvelope"]
body, t = base64.b64decode(env["payload"]), env["payloadType"].encode()
open(sys.argv[2], "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body))
open(sys.argv[3], "wb").write(base64.b64decode(env["signatures"][0]["sig"]))
PY
}
pae_of "$b1"
openssl pkeyutl -verify -pubin -inkey "$keys/ed.pub" -rawin -in "$T/pae" -sigfile "$T/sig" >/dev/null || fail "openssl refuses our Ed25519 signature"
openssl pkeyutl -verify -pubin -inkey "$keys/other.pub" -rawin -in "$T/pae" -sigfile "$T/sig" >/dev/null 2>&1 && fail "openssl accepted another key"
printf 'x' >> "$T/pae"
openssl pkeyutl -verify -pubin -inkey "$keys/ed.pub" -rawin -in "$T/pae" -sigfile "$T/sig" >/dev/null 2>&1 && fail "openssl accepted a changed payload"
pae_of "$e1"
openssl dgst -sha256 -verify "$keys/ec.pub" -signature "$T/sig" "$T/pae" >/dev/null || fail "openssl refuses our ECDSA signature"

# 5. The Sigstore project's verifier (installed once per build dir).
npm_dir=${SLIMBUILD_BUILD_DIR:-$T}/npm-sigstore
(
  flock 9
  if [[ ! -d $npm_dir/node_modules/@sigstore/verify ]]; then
    npm install --prefix "$npm_dir" --no-audit --no-fund --silent @sigstore/verify @sigstore/bundle >"$T/npm.log" 2>&1 ||
      { cat "$T/npm.log" >&2; exit 1; }
  fi
) 9>"$npm_dir.lock" || fail "npm install @sigstore/verify failed"
sigstore() { NODE_PATH=$npm_dir/node_modules node "$SLIMBUILD_SOURCE_DIR/tests/support/sigstore_verify.js" "$@"; }
sigstore "$b1" "$keys/ed.pub" "$plain" >/dev/null || fail "@sigstore/verify refuses our Ed25519 bundle"
sigstore "$e1" "$keys/ec.pub" "$plain" >/dev/null || fail "@sigstore/verify refuses our ECDSA bundle"
sigstore "$b1" "$keys/other.pub" "$plain" 2>/dev/null && fail "@sigstore/verify accepted another key"
python3 - "$b1" "$T/changed.json" <<'PY'
import json, sys, base64
b = json.load(open(sys.argv[1]))
st = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
st["predicate"]["buildDefinition"]["externalParameters"]["source"]["commit"] = "0" * 40
b["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(st).encode()).decode()
json.dump(b, open(sys.argv[2], "w"))
PY
sigstore "$T/changed.json" "$keys/ed.pub" "$plain" 2>/dev/null && fail "@sigstore/verify accepted a changed payload"
rc=0; "$SLIMBUILD" verify-signature "$T/ed1" --key "$keys/ed.pub" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 0 "the original still verifies"

# 6. Another image's bundle: a second commit, whose bundle is moved onto image 1.
echo "v2" > "$src/config.txt"
git -C "$src" -c user.name=t -c user.email=t@example.com commit -qam two
commit2=$(git -C "$src" rev-parse HEAD)
sb_build "$src/slimbuild.yml" "$T/v2" --sign-key "$keys/ed.pem"
second=$SB_DIGEST
[[ $second != "$plain" ]] || fail "a new commit gave the same image"
b2=$(bundle_of "$T/v2" "$second")
sigstore "$b2" "$keys/ed.pub" "$plain" 2>/dev/null && fail "@sigstore/verify accepted another image's bundle"
python3 - "$T/ed1" "$b2" "$plain" <<'PY'
# Replace image 1's bundle referrer by one carrying image 2's bundle: the old
# referrer manifest goes, a new one (same subject) takes its place.
import json, sys, os, hashlib
lay, other, subject = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3]
blob = lambda d: os.path.join(lay, "blobs", "sha256", d.split(":")[1])
for name in os.listdir(os.path.join(lay, "blobs", "sha256")):
    try:
        art = json.load(open(blob("sha256:" + name), "rb"))
    except ValueError:
        continue
    if not isinstance(art, dict) or art.get("artifactType") != "application/vnd.dev.sigstore.bundle.v0.3+json": continue
    if art["subject"]["digest"] != subject: continue
    d = "sha256:" + hashlib.sha256(other).hexdigest()
    open(blob(d), "wb").write(other)
    art["layers"][0].update(digest=d, size=len(other))
    raw = json.dumps(art, separators=(",", ":")).encode()
    os.remove(blob("sha256:" + name))
    open(blob("sha256:" + hashlib.sha256(raw).hexdigest()), "wb").write(raw)
    break
else:
    raise SystemExit("no bundle referrer of " + subject)
PY
rc=0; "$SLIMBUILD" verify-signature "$T/ed1" --key "$keys/ed.pub" 2>"$T/v.err" >/dev/null || rc=$?
assert_eq "$rc" 3 "exit code for another image's bundle"
assert_contains "$(cat "$T/v.err")" "another image"

# 7. Keys: encrypted ones, and keys that cannot sign, fail before building.
rc=0; "$SLIMBUILD" build "$src/slimbuild.yml" -o "$T/enc0" --sign-key "$keys/enc.pem" >"$T/o" 2>"$T/e" || rc=$?
[[ $rc -ne 0 ]] || fail "an encrypted key without passphrase was accepted"
assert_contains "$(cat "$T/e")" "--key-passphrase-stdin"
[[ ! -e $T/enc0 ]] || fail "a failed key left $T/enc0 behind"
printf 'wrong' | "$SLIMBUILD" build "$src/slimbuild.yml" -o "$T/enc0" --sign-key "$keys/enc.pem" --key-passphrase-stdin >"$T/o" 2>"$T/e" &&
  fail "a wrong passphrase was accepted"
assert_contains "$(cat "$T/e")" "passphrase is wrong"
printf '%s\n' "$PASS" | "$SLIMBUILD" build "$src/slimbuild.yml" -o "$T/enc1" --sign-key "$keys/enc.pem" --key-passphrase-stdin >"$T/o" 2>"$T/e" ||
  fail "--key-passphrase-stdin: $(cat "$T/e")"
SLIMBUILD_KEY_PASSPHRASE=$PASS "$SLIMBUILD" -v build "$src/slimbuild.yml" -o "$T/enc2" --sign-key "$keys/enc.pem" >>"$T/o" 2>>"$T/e" ||
  fail "SLIMBUILD_KEY_PASSPHRASE: $(cat "$T/e")"
"$SLIMBUILD" verify-signature "$T/enc2" --key "$keys/ec.pub" >/dev/null 2>&1 && fail "enc key verified with another key"
grep -q -- "$PASS" "$T/o" "$T/e" && fail "the passphrase appeared in the output"
grep -rq -- "PRIVATE KEY" "$T/enc1" && fail "key material in the layout"
rc=0; "$SLIMBUILD" build "$src/slimbuild.yml" -o "$T/bad" --sign-key "$keys/ed.pub" >/dev/null 2>"$T/e" || rc=$?
[[ $rc -ne 0 && ! -e $T/bad ]] || fail "a public key as --sign-key: rc $rc"
assert_contains "$(cat "$T/e")" "not a PEM private key"

# 8. `sign` an existing layout afterwards.
sb_build "$src/slimbuild.yml" "$T/later"
"$SLIMBUILD" sign "$T/later" --key "$keys/ed.pem" >/dev/null 2>"$T/e" || fail "sign LAYOUT: $(cat "$T/e")"
"$SLIMBUILD" verify-signature "$T/later" --key "$keys/ed.pub" --source-commit "$commit2" >/dev/null 2>"$T/e" ||
  fail "verify after sign: $(cat "$T/e")"

# 9. Through a registry: push signed, verify from a clean directory elsewhere.
start_registry plain plain
git -C "$src" checkout -q "$commit1"
"$SLIMBUILD" build "$src/slimbuild.yml" -o "$T/push1" --sign-key "$keys/ed.pem" --push --tag "$REG_ADDR/team/signed:1" \
  --insecure-registry >"$T/o" 2>"$T/e" || fail "build --sign-key --push: $(cat "$T/e")"
assert_eq "$(tail -n 1 "$T/o")" "$plain" "pushed digest"
git -C "$src" checkout -q "$commit2"
"$SLIMBUILD" build "$src/slimbuild.yml" -o "$T/push2" --sign-key "$keys/ed.pem" --push --tag "$REG_ADDR/team/signed:2" \
  --insecure-registry >/dev/null 2>"$T/e" || fail "second push: $(cat "$T/e")"
clean=$(sb_tmpdir clean)
(
  cd "$clean"
  "$SLIMBUILD" verify-signature "$REG_ADDR/team/signed:1" --key "$keys/ed.pub" --source-commit "$commit1" \
    --insecure-registry >"$T/r.out" 2>"$T/r.err" || fail "verify-signature REF: $(cat "$T/r.err")"
  assert_eq "$(tail -n 1 "$T/r.out")" "$plain" "verify-signature REF's last line"
  rc=0; "$SLIMBUILD" verify-signature "$REG_ADDR/team/signed:1" --key "$keys/other.pub" --insecure-registry >/dev/null 2>&1 || rc=$?
  assert_eq "$rc" 3 "REF with another key"
  rc=0; "$SLIMBUILD" verify-signature "$REG_ADDR/team/signed:2" --key "$keys/ed.pub" --source-commit "$commit1" \
    --insecure-registry >/dev/null 2>"$T/r.err" || rc=$?
  assert_eq "$rc" 3 "an image built from another commit"
  assert_contains "$(cat "$T/r.err")" "built from commit $commit2"
)
# sign a pushed, unsigned image by reference.
"$SLIMBUILD" push "$T/later" "$REG_ADDR/team/later:1" --insecure-registry >/dev/null 2>&1 || fail "push later"
"$SLIMBUILD" sign "$REG_ADDR/team/later:1" --key "$keys/ec.pem" --insecure-registry >/dev/null 2>"$T/e" || fail "sign REF: $(cat "$T/e")"
"$SLIMBUILD" verify-signature "$REG_ADDR/team/later:1" --key "$keys/ec.pub" --insecure-registry >/dev/null 2>"$T/e" ||
  fail "verify after sign REF: $(cat "$T/e")"
note "signed image $plain; statement $(payload_of "$b1" | sha256sum | cut -c1-16)"
