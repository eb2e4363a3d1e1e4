#!/usr/bin/env bash
# Issue 8, findings 3 and 8 (descriptors): a hostile layout cannot make push
# or inspect read a host file or send bytes that are not what the layout
# says. A layer blob that is a symlink to a host file (size matching), or a
# regular file whose bytes do not match its digest, is refused before any
# byte leaves the machine: nothing of the host file reaches the registry's
# storage. Descriptors whose size or media type disagree with what they name
# are refused too.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
reg_require docker-registry python3

start_registry plain plain
W=$REG_WORK

# The "host secret": a file outside the layout, marked so its bytes can be
# found wherever they land.
fresh_layout() {
  rm -rf "$W/lay"
  make_layout "$W/lay" v1 20000 > /dev/null || fail "make_layout"
  LAYER=$(python3 - "$W/lay" <<'PY'
import json, sys, os
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
m = json.load(open(os.path.join(d, "blobs/sha256", idx["manifests"][0]["digest"][7:])))
print(m["layers"][0]["digest"][7:])
PY
)
  SIZE=$(stat -c %s "$W/lay/blobs/sha256/$LAYER")
  python3 -c 'import sys; n=int(sys.argv[1]); sys.stdout.write(("HOSTSECRET-" * (n // 11 + 1))[:n])' "$SIZE" > "$W/secret"
}

# push_refused WHAT NEEDLE: the push fails naming NEEDLE and the registry holds no byte of the secret.
push_refused() {
  local what=$1 needle=$2
  if "$SLIMBUILD" push "$W/lay:v1" "$REG_ADDR/team/app:$what" --insecure-registry > "$W/out" 2> "$W/err"; then
    fail "$what: push succeeded: $(cat "$W/err")"
  fi
  grep -q -- "$needle" "$W/err" || fail "$what: error does not say '$needle': $(cat "$W/err")"
  grep -q "internal error" "$W/err" && fail "$what: internal error: $(cat "$W/err")"
  if grep -rqa HOSTSECRET "$REG_DIR/data"; then fail "$what: the host file's bytes reached the registry"; fi
  return 0
}

# 1. Layer blob is a symlink to a host file of the same size.
fresh_layout
ln -sf "$W/secret" "$W/lay/blobs/sha256/$LAYER"
push_refused symlink "not a regular file"
"$SLIMBUILD" inspect "$W/lay:v1" > "$W/out" 2> "$W/err" && fail "inspect read a symlinked layer blob"
grep -q "not a regular file" "$W/err" || fail "inspect error does not name the link: $(cat "$W/err")"
grep -q HOSTSECRET "$W/out" && fail "inspect printed the host file"

# 2. Layer blob is a regular file of the right size with the wrong bytes.
fresh_layout
cp "$W/secret" "$W/lay/blobs/sha256/$LAYER"
push_refused swapped "does not match its digest"

# 3. Descriptors that lie: a layer whose descriptor says it is an index, a
#    layer size one byte short, and an index entry calling a manifest an index.
#    The manifest is rewritten and index.json re-pointed at it.
rewrite() {  # rewrite PYTHON-EXPR-ON-m [INDEX-MEDIA-TYPE]
  python3 - "$W/lay" "$1" "${2:-}" <<'PY'
import hashlib, json, os, sys
d, expr, index_type = sys.argv[1], sys.argv[2], sys.argv[3]
idx = json.load(open(os.path.join(d, "index.json")))
m = json.load(open(os.path.join(d, "blobs/sha256", idx["manifests"][0]["digest"][7:])))
exec(expr)
raw = json.dumps(m, sort_keys=True, separators=(",", ":")).encode()
h = hashlib.sha256(raw).hexdigest()
open(os.path.join(d, "blobs/sha256", h), "wb").write(raw)
idx["manifests"][0].update(digest="sha256:" + h, size=len(raw))
if index_type: idx["manifests"][0]["mediaType"] = index_type
json.dump(idx, open(os.path.join(d, "index.json"), "w"))
PY
}
fresh_layout
rewrite 'm["layers"][0]["mediaType"] = "application/vnd.oci.image.index.v1+json"'
push_refused layer-type "media type"
fresh_layout
rewrite 'm["layers"][0]["size"] -= 1'
push_refused layer-size "bytes, its descriptor says"
fresh_layout
rewrite 'm["config"]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"'
push_refused config-type "media type"
fresh_layout
rewrite 'pass' "application/vnd.oci.image.index.v1+json"
"$SLIMBUILD" push "$W/lay:v1" "$REG_ADDR/team/app:idx" --insecure-registry > "$W/out" 2> "$W/err" &&
  fail "a manifest listed as an index was pushed"
grep -q "internal error" "$W/err" && fail "internal error: $(cat "$W/err")"

# 4. The untouched layout still pushes (the checks refuse only what is wrong).
fresh_layout
"$SLIMBUILD" push "$W/lay:v1" "$REG_ADDR/team/app:ok" --insecure-registry > "$W/out" 2> "$W/err" ||
  fail "a good layout no longer pushes: $(cat "$W/err")"
echo "ok"
