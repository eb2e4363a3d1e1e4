#!/usr/bin/env bash
# `docker run --platform linux/arm64` of the arm64 half of our hello-cpp
# image index, pulled by a private dockerd from a real docker-registry, on
# this amd64 machine: binfmt_misc runs the AArch64 binary through
# qemu-aarch64-static (registered with the F flag, so it works inside the
# container's root). The amd64 half runs natively; both print the same.
SLIMBUILD_SOURCE_DIR=${SLIMBUILD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
source "$(dirname "$0")/lib.sh"
sb_on_exit reg_cleanup
source "$SLIMBUILD_SOURCE_DIR/tests/support/dockerd.sh"
need_root
need_cmd aarch64-linux-gnu-g++ x86_64-linux-gnu-g++ qemu-aarch64-static update-binfmts docker-registry dockerd

# binfmt_misc: mounted and qemu-aarch64 registered (machine-wide, and left so:
# other tests may be running arm64 binaries through it at the same time).
if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
    skip "binfmt_misc cannot be mounted here"
fi
if ! grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || update-binfmts --import qemu-aarch64 >/dev/null 2>&1 || true
fi
grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 || fail "could not register qemu-aarch64 with binfmt_misc"
grep -qs '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 ||
  fail "qemu-aarch64 is registered without the F flag: containers could not find the interpreter"

work=$(sb_tmpdir work)
cp -r "$SLIMBUILD_SOURCE_DIR/examples/hello-cpp" "$work/"
rm -rf "$work/hello-cpp/build"
"$work/hello-cpp/build.sh" all
dockerd_start
start_registry plain plain
ref=$REG_ADDR/examples/hello-cpp:1.0
"$SLIMBUILD" build "$work/hello-cpp/slimbuild-multiarch.yml" -o "$work/out" --push --tag "$ref" --insecure-registry \
  >"$work/build.out" 2>"$work/build.err" || fail "build --push failed: $(cat "$work/build.err")"

declare -A output
for arch in amd64 arm64; do
  docker pull -q --platform "linux/$arch" "$ref" >/dev/null 2>"$work/pull.err" ||
    fail "docker pull --platform linux/$arch failed: $(cat "$work/pull.err")"
  got=$(docker image inspect --format '{{.Architecture}}' "$ref")
  assert_eq "$arch" "$got" "architecture of the image docker pulled for linux/$arch"
  output[$arch]=$(docker run --rm --platform "linux/$arch" --network none "$ref" --expect-tz=CET 2>&1) ||
    fail "docker run --platform linux/$arch failed: ${output[$arch]}"
  assert_contains "${output[$arch]}" "all checks passed" "hello-cpp in docker ($arch)"
  assert_contains "${output[$arch]}" "uid=65532 gid=65532" "hello-cpp in docker ($arch)"
  docker rmi -f "$ref" >/dev/null 2>&1 || true
done
same() { sed -E 's|/tmp/hello-cpp\.[A-Za-z0-9]+|/tmp/hello-cpp.X|' <<<"$1"; }
assert_eq "$(same "${output[amd64]}")" "$(same "${output[arm64]}")" "docker output, arm64 vs amd64"
note "ok"
