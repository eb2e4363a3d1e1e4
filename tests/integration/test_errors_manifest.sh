#!/usr/bin/env bash
# Bad manifests at the CLI: each must fail with a message that points at
# file:line:column and says what is wrong, exit non-zero without crashing,
# and leave nothing at -o (nor temporary siblings beside it).
source "$(dirname "$0")/lib.sh"

dir=$(sb_tmpdir manifests)
out=$(sb_tmpdir out)
cp /usr/bin/true "$dir/hello"

# bad NAME LOCATION NEEDLE... < manifest text. LOCATION is "line:col" where
# it is unambiguous (a key) and "line:" where key or value may be reported.
bad() {
  local name=$1 loc=$2
  shift 2
  cat >"$dir/$name.yml"
  sb_build_fails "$dir/$name.yml" "$out/$name" "$name.yml:$loc" "$@"
  # Every manifest error names file:line:column, whatever the check.
  assert_match "$SB_STDERR" "$name\.yml:[0-9]+:[0-9]+: " "error location of $name"
  note "$name: $(head -n 1 <<<"$SB_STDERR")"
}

bad unknown_key 6:1 "did you mean 'entrypoint'" <<'Y'
name: t
binary:
  path: hello
user:
  uid: 65532
entrypiont: [/app/hello]
Y

bad nested_unknown_key 8:5 "did you mean 'dest'" <<'Y'
name: t
binary: {path: hello}
user: {uid: 65532}
files:
  - src: hello
    dest: /a/
  - src: hello
    dst: /b/
Y

bad uid_zero 5: "root" <<'Y'
name: t
binary:
  path: hello
user:
  uid: 0
Y

bad gid_zero 6: "root" <<'Y'
name: t
binary:
  path: hello
user:
  uid: 65532
  gid: 0
Y

bad relative_dest 4: "absolute" <<'Y'
name: t
binary:
  path: hello
  dest: app/hello
user: {uid: 65532}
Y

bad escaping_dest 6: "climb out of the image root" <<'Y'
name: t
binary:
  path: hello
user: {uid: 65532}
files:
  - {dest: /../../etc/x, src: hello}
Y

bad missing_binary 3: "does-not-exist" <<'Y'
name: t
binary:
  path: does-not-exist
user: {uid: 65532}
Y

bad unknown_zone 4: "unknown time zone 'Europe/Lubljana'" <<'Y'
name: t
binary: {path: hello}
user: {uid: 65532}
timezone: Europe/Lubljana
Y

bad unknown_zone_in_list 4: "Mars/Olympus" <<'Y'
name: t
binary: {path: hello}
user: {uid: 65532}
tzdata: [UTC, Mars/Olympus]
Y

# An unclosed flow sequence: a YAML syntax error still gets a location.
bad broken_yaml "" "" <<'Y'
name: t
binary: {path: hello}
user: {uid: [65532
Y

bad missing_user 1: "user" <<'Y'
name: t
binary: {path: hello}
Y

bad wrong_type 4: "list" <<'Y'
name: t
binary: {path: hello}
user: {uid: 65532}
entrypoint: {a: b}
Y

bad setuid_mode 6: "setuid" <<'Y'
name: t
binary: {path: hello}
user: {uid: 65532}
files:
  - src: hello
    mode: "4755"
    dest: /usr/bin/x
Y

# Hostile input: NUL bytes and a huge document must be refused cleanly.
printf 'name: t\nbinary: {path: hello}\nuser: {uid: 65532}\nlabels: {a: "x\0y"}\n' >"$dir/nul.yml"
sb_build_fails "$dir/nul.yml" "$out/nul" "nul.yml"
{ echo "name: t"; echo "labels:"; for i in $(seq 1 120000); do echo "  k$i: value-$i-padding-padding"; done; } >"$dir/huge.yml"
sb_build_fails "$dir/huge.yml" "$out/huge" "huge.yml"

# A missing manifest is a clear error too (no location to give).
sb_build_fails "$dir/nope.yml" "$out/nope" "nope.yml"
note "ok"
