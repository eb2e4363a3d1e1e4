#!/usr/bin/env bash
# Issue 8, finding 5: untrusted images cannot exhaust memory or disk. A
# docker-archive whose manifest.json nests '[' millions deep, and a layout
# whose index.json does, are refused at the JSON depth cap with an error
# that names the limit and the variable that raises it; an archive member
# nobody references is never staged; a member above the size cap is refused,
# naming SLIMBUILD_MAX_MEMBER_BYTES.
source "$(dirname "$0")/lib.sh"
need_cmd python3

w=$(sb_tmpdir w)

# 1. docker-archive: manifest.json is 4 MB of '['.
"$SB_PY" - "$w/deep.tar" <<'PY'
import io, sys, tarfile
data = b"[" * (4 << 20)
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("manifest.json"); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PY
out=$( (ulimit -v 1000000; "$SLIMBUILD" inspect "$w/deep.tar") 2>&1) && fail "inspect accepted a 4M-deep manifest.json"
assert_contains "$out" "JSON nesting depth limit" "error for the deep manifest.json"
assert_contains "$out" "SLIMBUILD_MAX_JSON_DEPTH" "error for the deep manifest.json"
assert_not_contains "$out" "internal error" "error for the deep manifest.json"

# 2. layout: index.json nests deep inside "manifests".
mkdir -p "$w/lay/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' >"$w/lay/oci-layout"
"$SB_PY" -c 'import sys; sys.stdout.write("{\"manifests\":" + "[" * 2000000)' >"$w/lay/index.json"
out=$( (ulimit -v 1000000; "$SLIMBUILD" inspect "$w/lay") 2>&1) && fail "inspect accepted a deep index.json"
assert_contains "$out" "SLIMBUILD_MAX_JSON_DEPTH" "error for the deep index.json"
# ... and the cap can be raised (then the document is simply invalid JSON).
out=$(SLIMBUILD_MAX_JSON_DEPTH=3000000 "$SLIMBUILD" inspect "$w/lay" 2>&1) && fail "inspect accepted a broken index.json"
assert_not_contains "$out" "SLIMBUILD_MAX_JSON_DEPTH" "error with the cap raised"

# 3. An oci-archive with an unreferenced 300 MB member (sparse in the tar,
#    zeros when read): converting it must not stage that member.
cp /usr/bin/true "$w/hello"
printf 'name: lim\nbinary: {path: hello}\nuser: {uid: 65532}\n' >"$w/m.yml"
"$SLIMBUILD" build "$w/m.yml" --format oci-archive -o "$w/img.tar" >/dev/null 2>&1 || fail "cannot build the test archive"
truncate -s 300M "$w/junk"
"$SB_PY" - "$w/img.tar" "$w/junk" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "a") as t:
    t.add(sys.argv[2], arcname="blobs/sha256/" + "0" * 64)
PY
export TMPDIR=$w/tmp
mkdir -p "$TMPDIR"
sb_peak_kib "$TMPDIR" "$SLIMBUILD" inspect "$w/img.tar"
((SB_PEAK_RC == 0)) || fail "inspect of an archive with an unreferenced member failed: $(cat "$SB_TMP/peak.err")"
peak=$SB_PEAK_KIB
(( peak < 100000 )) || fail "inspect staged the unreferenced 300 MB member (peak ${peak} KiB in TMPDIR)"

# 4. A referenced member above the member cap is refused, naming the cap.
out=$(SLIMBUILD_MAX_MEMBER_BYTES=1000 "$SLIMBUILD" inspect "$w/img.tar" 2>&1) && fail "the member cap was not applied"
assert_contains "$out" "SLIMBUILD_MAX_MEMBER_BYTES" "error for a member above the cap"
echo ok
