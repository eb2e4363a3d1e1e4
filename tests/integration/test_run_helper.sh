#!/usr/bin/env bash
# The run helper itself, before any slimbuild image relies on it: a static
# probe binary in a hand-made rootfs, then in an OCI layout made by umoci
# alone. Proves run_rootfs/run_image switch user, pass exactly the image's
# environment, honour WorkingDir, give a private /proc, propagate the exit
# code, and replace Cmd by the given arguments (as `docker run` does).
source "$(dirname "$0")/lib.sh"
need_root
need_cmd gcc umoci

dir=$(sb_tmpdir probe)
cat >"$dir/probe.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
extern char** environ;
int main(int argc, char** argv) {
  char cwd[4096];
  gid_t groups[64];
  int n = getgroups(64, groups);
  printf("uid=%d gid=%d pid=%d cwd=%s\n", (int)getuid(), (int)getgid(), (int)getpid(),
         getcwd(cwd, sizeof cwd) ? cwd : "?");
  for (int i = 0; i < n; i++)
    if (groups[i] != getgid()) printf("extra group %d\n", (int)groups[i]);
  for (int i = 0; i < argc; i++) printf("arg[%d]=%s\n", i, argv[i]);
  for (char** e = environ; *e; e++) printf("env %s\n", *e);
  printf("proc=%s\n", access("/proc/self/status", R_OK) == 0 ? "yes" : "no");
  printf("devnull=%s\n", access("/dev/null", W_OK) == 0 ? "yes" : "no");
  for (int i = 1; i < argc; i++)
    if (strncmp(argv[i], "exit=", 5) == 0) return atoi(argv[i] + 5);
  return 0;
}
C
gcc -static -O2 -o "$dir/probe" "$dir/probe.c" || fail "cannot compile a static probe (libc6-dev missing?)"

# 1. run_rootfs on a hand-made tree.
rootfs=$dir/rootfs
mkdir -p "$rootfs/bin" "$rootfs/work"
cp "$dir/probe" "$rootfs/bin/probe"
printf 'A=1\0B=two words\0' >"$dir/env"
export SHOULD_NOT_LEAK=secret
out=$(run_rootfs "$rootfs" 4321:8765 "" "$dir/env" /bin/probe x "y z") || fail "probe failed: $out"
assert_contains "$out" "uid=4321 gid=8765 pid=1 cwd=/" "probe output"
assert_contains "$out" "arg[1]=x" "probe output"
assert_contains "$out" "arg[2]=y z" "probe output"
assert_contains "$out" "env A=1" "probe output"
assert_contains "$out" "env B=two words" "probe output"
assert_not_contains "$out" "SHOULD_NOT_LEAK" "probe environment"
assert_eq 2 "$(grep -c '^env ' <<<"$out")" "number of environment variables"
assert_not_contains "$out" "extra group" "probe groups (only the primary group)"
assert_contains "$out" "proc=yes" "probe output"
assert_contains "$out" "devnull=yes" "probe output"
out=$(run_rootfs "$rootfs" 1:1 /work "$dir/env" /bin/probe) || fail "probe with workdir failed: $out"
assert_contains "$out" "uid=1 gid=1 pid=1 cwd=/work" "probe output with a workdir"
rc=0
run_rootfs "$rootfs" 1:1 "" "$dir/env" /bin/probe exit=42 >/dev/null || rc=$?
assert_eq 42 "$rc" "exit code passed through run_rootfs"
# Nothing stays mounted on the host after the namespaces are gone.
if grep -q " $rootfs/" /proc/self/mounts; then fail "mounts leaked to the host: $(grep " $rootfs/" /proc/self/mounts)"; fi

# 2. run_image on a layout built by umoci only (no slimbuild involved).
layout=$dir/layout
src=$dir/src
mkdir -p "$src/app" "$src/data"
cp "$dir/probe" "$src/app/probe"
{
  umoci init --layout "$layout"
  umoci new --image "$layout:v1"
  umoci insert --image "$layout:v1" "$src" /
  umoci config --image "$layout:v1" --config.entrypoint /app/probe --config.cmd default-arg \
    --config.user 65532:65533 --config.env GREETING=hi --config.workingdir /data
} >"$dir/umoci.log" 2>&1 || fail "umoci could not make the test layout: $(cat "$dir/umoci.log")"

out=$(run_image "$layout" v1 -) || fail "run_image failed: $out"
assert_contains "$out" "uid=65532 gid=65533 pid=1 cwd=/data" "run_image output"
assert_contains "$out" "arg[0]=/app/probe" "run_image argv"
assert_contains "$out" "arg[1]=default-arg" "run_image uses Cmd when no args are given"
assert_contains "$out" "env GREETING=hi" "run_image environment"
out=$(run_image "$layout" v1 7:7 -- over ride) || fail "run_image with args failed: $out"
assert_contains "$out" "uid=7 gid=7" "run_image with an explicit user"
assert_contains "$out" "arg[1]=over" "run_image args replace Cmd"
assert_contains "$out" "arg[2]=ride" "run_image args replace Cmd"
assert_not_contains "$out" "default-arg" "run_image args replace Cmd"
rc=0
run_image "$layout" v1 - -- exit=3 >/dev/null || rc=$?
assert_eq 3 "$rc" "exit code passed through run_image"
note "ok"
