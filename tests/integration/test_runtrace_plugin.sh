#!/usr/bin/env bash
# A C program of the test suite (tests/support/runtrace/plugdemo.c) that
# dlopen()s a plugin named in its config file; the plugin needs libz, which
# the program does not. The whole workflow must end with the program
# running, and trace --run must propose the plugin (whose libz the build
# then traces itself) and the config file, nothing else. Also the tracer's
# own duties: the program's exit status and signals are reported, a
# --timeout kills the whole process tree, and nothing is left running.
source "$(dirname "$0")/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/support/runtrace/workflow.sh"
need_root
need_cmd umoci cc

work=$(sb_tmpdir plug)
src=$SLIMBUILD_SOURCE_DIR/tests/support/runtrace
mkdir -p "$work/bin" "$work/plugins" "$work/etc"
cc -O1 -o "$work/bin/plugdemo" "$src/plugdemo.c" -ldl || fail "cannot compile plugdemo.c"
cc -O1 -shared -fPIC -o "$work/plugins/libgreet.so" "$src/greet_plugin.c" -lz || fail "cannot compile greet_plugin.c"
printf 'plugin=%s\n' "$work/plugins/libgreet.so" >"$work/etc/plugdemo.conf"
cat >"$work/slimbuild.yml" <<YML
name: plugdemo
binary: {path: $work/bin/plugdemo, dest: /app/plugdemo}
entrypoint: [/app/plugdemo, $work/etc/plugdemo.conf]
user: {name: plug, uid: 10012}
YML

expected=$("$work/bin/plugdemo" "$work/etc/plugdemo.conf") || fail "plugdemo does not run on the host"
assert_contains "$expected" "hello from the plugin" "plugdemo on the host"
rt_workflow "$work/slimbuild.yml" latest "$work" "$expected" -- "$work/bin/plugdemo" "$work/etc/plugdemo.conf"

assert_contains "$RT_MISSING_BEFORE" "$work/etc/plugdemo.conf" "check's report for the binary-only image"
# Exactly the plugin and the config: libz comes from tracing the plugin.
assert_eq "[\"$work/plugins/libgreet.so\"]" "$(json_get 'j["libraries"]' <"$SB_TMP/trace.json")" "libraries proposed"
assert_eq "[\"$work/etc/plugdemo.conf\"]" "$(json_get '[f["src"] for f in j["files"]]' <"$SB_TMP/trace.json")" "files proposed"
listing=$(layer_listing "$work/after" latest)
grep -q 'libz\.so' <<<"$listing" || fail "the plugin's libz is not in the image"

# --- the tracer's duties ---------------------------------------------------
# The program's failure is reported (exit status, signal) and is the exit code.
rc=0
err=$("$SLIMBUILD" trace --run -- "$work/bin/plugdemo" /nonexistent.conf 2>&1 >/dev/null) || rc=$?
assert_eq 1 "$rc" "exit code of trace --run when the program fails"
assert_contains "$err" "exited with status 1" "trace --run's report of a failing program"
rc=0
err=$("$SLIMBUILD" trace --run -- /bin/sh -c 'kill -SEGV $$' 2>&1 >/dev/null) || rc=$?
assert_eq 1 "$rc" "exit code of trace --run when the program is killed"
assert_contains "$err" "killed by SIGSEGV" "trace --run's report of a killed program"
# Signals are forwarded: a TERM the program catches runs its handler.
out=$("$SLIMBUILD" trace --run -q -- /bin/sh -c 'trap "echo caught TERM; exit 0" TERM; kill -TERM $$; sleep 5' 2>/dev/null) ||
  fail "the traced shell did not survive its own handled SIGTERM"
assert_contains "$out" "caught TERM" "a forwarded, handled signal"
# A timeout kills the program and its children (forked and backgrounded).
marker=sb-runtrace-$$-$RANDOM
start=$(date +%s)
rc=0
# Durations no other process on the machine uses, so pgrep finds only ours.
naps="$((300 + RANDOM % 600)).$$"
err=$("$SLIMBUILD" trace --run --timeout 1 -- /bin/sh -c "sleep ${naps}1 & sleep ${naps}2; echo $marker" 2>&1 >/dev/null) || rc=$?
elapsed=$(($(date +%s) - start))
assert_eq 1 "$rc" "exit code of trace --run after a timeout"
assert_contains "$err" "timed out" "trace --run's report of a timeout"
((elapsed < 60)) || fail "the timeout of 1 s took ${elapsed}s"
sleep 0.5
if pgrep -f "sleep ${naps}[12]" >/dev/null; then
  pgrep -af "sleep ${naps}[12]" >&2
  fail "the traced program's children outlived the timeout"
fi
# check's timeout works inside the image's pid namespace too.
rc=0
"$SLIMBUILD" check "$work/after:latest" --timeout 1 -- /dev/zero >/dev/null 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "check with a bad config should not pass"
# Usage errors are explained, not crashes.
rc=0
err=$("$SLIMBUILD" trace --run --write -- /bin/true 2>&1) || rc=$?
assert_eq 2 "$rc" "exit code of --write without --manifest"
assert_contains "$err" "--write needs --manifest" "the error for --write without --manifest"
rc=0
err=$("$SLIMBUILD" trace --run -- /nonexistent/program 2>&1) || rc=$?
assert_eq 1 "$rc" "exit code for a program that does not exist"
assert_contains "$err" "/nonexistent/program" "the error for a program that does not exist"
assert_not_contains "$err" "internal error" "the error for a program that does not exist"
