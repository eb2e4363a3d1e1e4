#!/usr/bin/env bash
# python3 running a script that imports ssl, json, sqlite3 and zlib: ELF
# tracing sees none of the standard library or the lib-dynload extensions.
# A manifest with only the binary and the script fails in its image, check
# names what is missing, trace --run --write adds exactly the modules the
# run used (not /usr/lib/python3.11 whole), and then the image works as its
# non-root user and holds nothing the run did not use.
source "$(dirname "$0")/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/support/runtrace/workflow.sh"
need_root
need_cmd umoci python3.11

work=$(sb_tmpdir py)
cat >"$work/app.py" <<'PY'
import json, sqlite3, ssl, zlib
db = sqlite3.connect(":memory:")
db.execute("create table t (doc text)")
db.execute("insert into t values (?)", (json.dumps({"answer": 42}),))
doc = json.loads(db.execute("select doc from t").fetchone()[0])
print("python ok", doc["answer"], zlib.crc32(b"slimbuild"), ssl.OPENSSL_VERSION.split()[0])
PY
cat >"$work/slimbuild.yml" <<YML
# python3 and one script; trace --run adds the standard library it uses
name: py-app
binary: {path: /usr/bin/python3.11, dest: /usr/bin/python3.11}
entrypoint: [/usr/bin/python3.11, -I, -S, $work/app.py]
user: {name: app, uid: 10010}
env: {PYTHONDONTWRITEBYTECODE: "1"}
files:
  - {src: $work/app.py, dest: $work/app.py}   # the program's own script
YML

expected="python ok 42 $(python3.11 -c 'import zlib; print(zlib.crc32(b"slimbuild"))') OpenSSL"
rt_workflow "$work/slimbuild.yml" latest "$work" "$expected" -- /usr/bin/python3.11 -I -S "$work/app.py"

# check named the landmark python looks for first.
assert_contains "$RT_MISSING_BEFORE" "/usr/lib/python3.11/os.py" "check's report for the binary-only image"
# The proposal is the used modules: the extensions and packages it imported,
# never the whole standard library.
proposal=$(cat "$SB_TMP/trace.json")
for lib in _ssl _sqlite3; do
  assert_contains "$proposal" "/usr/lib/python3.11/lib-dynload/$lib.cpython-311-" "libraries proposed for python3"
done
assert_contains "$proposal" "/usr/lib/python3.11/json/" "files proposed for python3"
assert_not_contains "$proposal" '"src": "/usr/lib/python3.11/"' "files proposed for python3"
listing=$(layer_listing "$work/after" latest)
count=$(grep -c ' usr/lib/python3.11/' <<<"$listing" || true)
total=$(find /usr/lib/python3.11 -type f | wc -l)
note "image holds $count of the $total files under /usr/lib/python3.11"
((count * 5 < total)) || fail "the image holds $count of $total stdlib files: that is not just the used modules"
if grep -q ' usr/lib/python3.11/http/' <<<"$listing"; then fail "the unused http package is in the image"; fi
# The comment on the script line survived --write.
assert_contains "$(cat "$work/slimbuild.yml")" "# the program's own script" "the manifest after --write"
