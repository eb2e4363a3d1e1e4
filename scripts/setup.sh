#!/usr/bin/env bash
# Installs every Debian package slimbuild needs to build, test and demo, then
# configures and compiles it into build/. Safe to re-run: it installs only what
# is missing and rebuilds incrementally. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # toolchain
  g++ cmake make pkg-config git ca-certificates ccache
  # libraries slimbuild links against
  liblief-dev libarchive-dev libssl-dev libcurl4-openssl-dev zlib1g-dev
  libdeflate-dev libzstd-dev
  nlohmann-json3-dev libcli11-dev catch2 libyaml-cpp-dev
  # data that images take from the build machine
  tzdata
  # real peers for tests and the demo: readers of our output, a registry,
  # a container runtime (docker.io: dockerd for tests/support/dockerd.sh),
  # a Go toolchain for the static example, binaries to package
  skopeo umoci podman docker-registry docker.io golang-go apache2-utils openssl
  curl python3 util-linux coreutils procps dpkg
  # scanner-facing checks: a Debian base image to audit, the CycloneDX validator (npm)
  nodejs npm
  # decompressors the layer compatibility tests read our gzip/zstd with; bench peers
  gzip zstd libarchive-tools pigz time
  # multi-platform images: a cross compiler for the arm64 examples, arm64
  # libraries from Debian multiarch (sysroot /), debootstrap for a separate
  # arm64 sysroot, qemu to run what we built (binfmt-support registers it)
  g++-aarch64-linux-gnu qemu-user-static binfmt-support debootstrap
  libc6:arm64 libstdc++6:arm64
)
# The sanitizer tree and libFuzzer targets (scripts/sanitize.sh), only when
# the test run includes them (SLIMBUILD_SANITIZE=1, see scripts/test.sh).
if [[ ${SLIMBUILD_SANITIZE:-0} == 1 ]]; then
  PACKAGES+=(clang-16 libfuzzer-16-dev libclang-rt-16-dev)
fi

SUDO=""
[[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null && SUDO=sudo
# Multiarch: the :arm64 packages above need dpkg to know the architecture.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "setup: dpkg --add-architecture arm64" >&2
  $SUDO dpkg --add-architecture arm64
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 && -z $SUDO ]]; then
    echo "setup: need root (or sudo) to apt-get install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
# ccache (when installed) hits across checkouts in different folders.
export CCACHE_BASEDIR="$(pwd)" CCACHE_NOHASHDIR=true
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
echo "setup: built $(pwd)/build/slimbuild" >&2
