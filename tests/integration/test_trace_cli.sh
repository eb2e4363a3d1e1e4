#!/usr/bin/env bash
# `slimbuild trace` as a user and a script see it: the JSON document for a
# real system binary, the human tree's summary line, dlopen()ed libraries
# via -l, static binaries, and the exit codes and messages for inputs that
# are not (valid) ELF programs or whose libraries are missing.
set -euo pipefail

: "${SLIMBUILD:?path of the slimbuild binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source "${SLIMBUILD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/support/fail.sh"

# expect_failure CODE PATTERN -- ARGS...: exit code CODE, PATTERN on stderr, nothing on stdout.
expect_failure() {
  local code=$1 pattern=$2; shift 3
  local rc=0
  "$SLIMBUILD" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [ "$rc" -eq "$code" ] || { cat "$tmp/err" >&2; fail "slimbuild $* exited $rc, expected $code"; }
  grep -qF -- "$pattern" "$tmp/err" || { cat "$tmp/err" >&2; fail "slimbuild $*: stderr lacks '$pattern'"; }
  [ ! -s "$tmp/out" ] || fail "slimbuild $*: wrote to stdout on failure"
}

# 1. JSON for /usr/bin/curl, checked against the file system and ldd.
"$SLIMBUILD" trace /usr/bin/curl --json >"$tmp/curl.json"
ldd /usr/bin/curl | awk '/=>/ {print $1}' | sort >"$tmp/ldd.txt"
python3 - "$tmp/curl.json" "$tmp/ldd.txt" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))
expected = set(open(sys.argv[2]).read().split())
assert doc["binary"] == "/usr/bin/curl", doc["binary"]
assert doc["interpreter"] == "/lib64/ld-linux-x86-64.so.2", doc["interpreter"]
assert doc["static"] is False
assert doc["platform"] == "linux/amd64", doc["platform"]
libs = {l["soname"]: l for l in doc["libraries"]}
assert set(libs) == expected, (set(libs) ^ expected)
curl = libs["libcurl.so.4"]
assert curl["path"] == "/lib/x86_64-linux-gnu/libcurl.so.4", curl["path"]
assert curl["needed_by"] == ["/usr/bin/curl"], curl["needed_by"]
assert {"path": "/lib", "target": "usr/lib"} in curl["symlinks"], curl["symlinks"]
for l in doc["libraries"]:
    assert os.path.isfile(l["host_path"]) and not os.path.islink(l["host_path"]), l
    assert os.path.realpath(l["path"]) == l["host_path"], l
    assert l["needed_by"], l
PY

# 2. Human output ends with a summary line.
"$SLIMBUILD" trace /usr/bin/curl >"$tmp/tree.txt"
grep -q '^  libcurl.so.4 => /lib/x86_64-linux-gnu/libcurl.so.4' "$tmp/tree.txt" || fail "tree lacks libcurl"
tail -n1 "$tmp/tree.txt" | grep -Eq '^[0-9]+ shared libraries \+ interpreter /lib64/ld-linux-x86-64.so.2$' ||
  fail "unexpected summary: $(tail -n1 "$tmp/tree.txt")"

# 3. -l adds a dlopen()ed library, needed by "manifest".
"$SLIMBUILD" trace -l libnss_dns.so.2 /usr/bin/curl --json >"$tmp/nss.json"  # -l takes one name, BINARY stays positional
python3 - "$tmp/nss.json" <<'PY'
import json, sys
libs = {l["soname"]: l for l in json.load(open(sys.argv[1]))["libraries"]}
assert libs["libnss_dns.so.2"]["needed_by"] == ["manifest"], libs["libnss_dns.so.2"]
PY

# 3b. --dest places the binary (and its $ORIGIN) in the image.
"$SLIMBUILD" trace /usr/bin/true --dest /app/bin/true --json >"$tmp/dest.json"
python3 - "$tmp/dest.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["binary"] == "/app/bin/true" and d["binary_host_path"] == "/usr/bin/true", d
assert all(l["needed_by"] for l in d["libraries"]), d
PY

# 4. A static binary needs nothing.
printf 'int main(void){return 0;}\n' >"$tmp/s.c"
gcc -static -o "$tmp/static" "$tmp/s.c"
"$SLIMBUILD" trace "$tmp/static" --json >"$tmp/static.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["static"] is True and d["libraries"] == [] and d["interpreter"] is None, d' "$tmp/static.json"
"$SLIMBUILD" trace "$tmp/static" | tail -n1 | grep -q '^static binary' || fail "static summary"

# 5. Inputs that are not ELF programs, or broken ones.
printf '#!/bin/sh\necho hi\n' >"$tmp/run.sh"
expect_failure 1 "$tmp/run.sh is a script (#!/bin/sh), not an ELF binary" -- trace "$tmp/run.sh"
head -c 3000 /usr/bin/curl >"$tmp/curl-cut"
expect_failure 1 "$tmp/curl-cut is truncated: " -- trace "$tmp/curl-cut" --json
: >"$tmp/empty"
expect_failure 1 "is empty, not an ELF binary" -- trace "$tmp/empty"
expect_failure 1 "$tmp/nope does not exist" -- trace "$tmp/nope"

# 6. Missing libraries: named, with who needs them; usage errors exit 2.
expect_failure 1 "libdoes-not-exist.so.9 (needed by manifest)" -- trace /usr/bin/curl -l libdoes-not-exist.so.9
expect_failure 2 "not a directory" -- trace /usr/bin/curl --sysroot "$tmp/no-such-root"
rc=0; "$SLIMBUILD" trace >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "trace without BINARY exited $rc, expected 2"

echo "trace CLI: all checks passed"
