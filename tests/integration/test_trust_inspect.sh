#!/usr/bin/env bash
# Issue 8, findings 4, 5 and 8 (names): inspect of an untrusted image touches
# nothing outside its private temp dir even when $TMPDIR is reached through a
# symlink (the symlink stays a symlink, nothing is left behind); it unpacks
# only what tracing needs, so a layer holding 300 MB of zeros costs no disk;
# tar names holding ESC, CR or LF are printed escaped by inspect and diff.
source "$(dirname "$0")/lib.sh"
need_cmd python3

w=$(sb_tmpdir w)
mkdir -p "$w/realtmp"
ln -s "$w/realtmp" "$w/tmplink"

# An image whose entrypoint is a real dynamic ELF, next to 300 MB of zeros.
cp /usr/bin/true "$w/hello"
truncate -s 300M "$w/zeros"
cat >"$w/m.yml" <<'Y'
name: insp
binary: {path: hello}
user: {uid: 65532}
files:
  - {src: zeros, dest: /data/zeros}
Y
sb_build "$w/m.yml" "$w/img"
rm -f "$w/zeros"

TMPDIR=$w/tmplink sb_peak_kib "$w/realtmp" "$SLIMBUILD" inspect "$w/img"
((SB_PEAK_RC == 0)) || fail "inspect failed: $(cat "$SB_TMP/peak.err")"
cp "$SB_TMP/peak.out" "$w/out"
peak=$SB_PEAK_KIB
[[ -L $w/tmplink ]] || fail "inspect replaced the \$TMPDIR symlink $w/tmplink"
assert_eq "" "$(ls -A "$w/realtmp")" "what inspect left in \$TMPDIR"
((peak < 50000)) || fail "inspect unpacked the zeros (peak ${peak} KiB in TMPDIR)"
assert_contains "$(cat "$w/out")" "libc.so.6" "inspect's library attribution (still traced)"

# Names with control characters, in a layout written by hand.
"$SB_PY" - "$w/evil" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
root = sys.argv[1]
os.makedirs(os.path.join(root, "blobs/sha256"))
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(root, "blobs/sha256", h), "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name in ["evil\x1b[31mred", "cr\rname", "lf\nFAKE LINE"]:
        i = tarfile.TarInfo(name); i.size = 1
        t.addfile(i, io.BytesIO(b"x"))
raw = raw.getvalue()
cfg = put(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode())
layer = put(gzip.compress(raw, mtime=0))
man = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **cfg),
    "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **layer)]}).encode())
json.dump({"schemaVersion": 2, "manifests": [dict(mediaType="application/vnd.oci.image.manifest.v1+json", **man)]},
          open(os.path.join(root, "index.json"), "w"))
open(os.path.join(root, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
"$SLIMBUILD" inspect "$w/evil" >"$w/evil.out" 2>"$w/evil.err" || fail "inspect of the evil layout failed: $(cat "$w/evil.err")"
rc=0
"$SLIMBUILD" diff "$w/img" "$w/evil" >"$w/diff.out" 2>"$w/diff.err" || rc=$?
[[ $rc -eq 3 ]] || fail "diff did not report a difference: $(cat "$w/diff.err")"
for f in evil.out diff.out; do
  LC_ALL=C grep -q $'\x1b' "$w/$f" && fail "$f holds a raw ESC"
  LC_ALL=C grep -q $'\r' "$w/$f" && fail "$f holds a raw CR"
  grep -q '^FAKE LINE' "$w/$f" && fail "$f has a line forged by a name with LF"
  assert_contains "$(cat "$w/$f")" 'evil\e[31mred' "$f"
  assert_contains "$(cat "$w/$f")" 'lf\nFAKE LINE' "$f"
done
echo ok
