#!/usr/bin/env bash
# hello-go for linux/amd64 and linux/arm64 (GOARCH=arm64: a static binary,
# no cross toolchain) from examples/hello-go/slimbuild-multiarch.yml: the
# index's arm64 image, picked by skopeo copy --override-arch, runs under
# qemu-aarch64-static as the image's user; the amd64 one natively.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd go qemu-aarch64-static umoci skopeo

work=$(sb_tmpdir work)
cp -r "$SLIMBUILD_SOURCE_DIR/examples/hello-go" "$work/"
rm -rf "$work/hello-go/build"
"$work/hello-go/build.sh" all
sb_build "$work/hello-go/slimbuild-multiarch.yml" "$work/out/hello-go"
for arch in amd64 arm64; do
  skopeo copy -q --override-arch $arch "oci:$work/out/hello-go:1.0" "oci:$work/go-$arch:1.0" >/dev/null ||
    fail "skopeo copy of the hello-go $arch image failed"
done
[[ $(layer_listing "$work/go-arm64" 1.0) != *ld-linux* ]] || fail "the static arm64 image holds a loader"
image=$(image_unpack "$work/go-arm64" 1.0) || exit 1
go_out=$(SB_QEMU=qemu-aarch64-static image_exec "$image" - 2>&1) || fail "hello-go (arm64, qemu) failed: $go_out"
assert_contains "$go_out" "uid=65532" "hello-go arm64 output"
image=$(image_unpack "$work/go-amd64" 1.0) || exit 1
amd_out=$(image_exec "$image" - 2>&1) || fail "hello-go (amd64) failed: $amd_out"
assert_eq "$amd_out" "$go_out" "hello-go output, arm64 vs amd64"
note "ok"
