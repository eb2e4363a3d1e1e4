# Shared helper for tests that need a clean Debian root: a foreign image to
# audit, a sysroot for cross builds, a fresh machine to install the .deb on.
# `debootstrap_root ARCH VARIANT` prints the path of a root made by debootstrap
# once per build directory and reused by every later test (a lock serialises
# tests that ask for the same root at once; a half-made root is never reused).
# Downloaded .debs are kept in a machine-wide cache so a rebuilt build dir
# does not fetch them again. For a foreign ARCH the root is unpacked with
# --foreign and its second stage runs under qemu-user when binfmt_misc has an
# interpreter for that machine; otherwise every downloaded package is
# unpacked with dpkg-deb -x (enough as a library sysroot; the dpkg status
# lists the required set only and no maintainer script ran).
# An optional third argument adds packages (debootstrap --include), e.g.
# `debootstrap_root arm64 minbase curl` for a sysroot with curl's libraries.
# DEBOOTSTRAP_UNPACK_ONLY=1 skips the qemu second stage even when it could
# run (minutes under emulation; a library sysroot does not need it).
# Callers treat the root as read-only: copy it (cp -a) before changing it.
# shellcheck shell=bash

DEBOOTSTRAP_SUITE="${DEBOOTSTRAP_SUITE:-bookworm}"
DEBOOTSTRAP_MIRROR="${DEBOOTSTRAP_MIRROR:-http://deb.debian.org/debian}"

# debootstrap_root ARCH VARIANT [PKG,PKG...] -> prints the root's path, or fails with a message.
debootstrap_root() {
  local arch=${1:?arch} variant=${2:-minbase} include=${3:-}
  local base="${SLIMBUILD_BUILD_DIR:-${TMPDIR:-/tmp}}/debootstrap"
  local root="$base/$DEBOOTSTRAP_SUITE-$arch-$variant${include:+-${include//,/+}}"
  local cache="/var/cache/slimbuild/debootstrap/$DEBOOTSTRAP_SUITE-$arch"
  mkdir -p "$base" "$cache" || return 1
  (
    flock 9
    [[ -f "$root/.complete" ]] && exit 0
    command -v debootstrap >/dev/null || { echo "debootstrap_root: debootstrap is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
    rm -rf "$root.tmp"
    local host_arch foreign=() extra=()
    host_arch=$(dpkg --print-architecture)
    [[ $arch != "$host_arch" ]] && foreign=(--foreign)
    [[ -n $include ]] && extra=(--include="$include")
    if ! debootstrap --arch="$arch" --variant="$variant" "${foreign[@]}" "${extra[@]}" --cache-dir="$cache" \
         "$DEBOOTSTRAP_SUITE" "$root.tmp" "$DEBOOTSTRAP_MIRROR" >"$root.log" 2>&1; then
      echo "debootstrap_root: debootstrap $arch/$variant failed; last lines of $root.log:" >&2
      tail -5 "$root.log" >&2
      exit 1
    fi
    if ((${#foreign[@]})) && [[ ${DEBOOTSTRAP_UNPACK_ONLY:-0} != 1 ]] && debootstrap_can_exec "$arch"; then
      if ! chroot "$root.tmp" /debootstrap/debootstrap --second-stage >>"$root.log" 2>&1; then
        echo "debootstrap_root: second stage for $arch failed; see $root.log" >&2
        exit 1
      fi
    elif ((${#foreign[@]})); then
      # The first stage unpacked the required set only; the rest was downloaded.
      local deb
      for deb in "$root.tmp"/var/cache/apt/archives/*.deb; do
        [[ -e $deb ]] && dpkg-deb -x "$deb" "$root.tmp"
      done
    fi
    touch "$root.tmp/.complete" && mv "$root.tmp" "$root"
  ) 9>"$root.lock" || return 1
  echo "$root"
}

# debootstrap_can_exec ARCH: true when this kernel runs ARCH's binaries through
# binfmt_misc (qemu-user-static registered), so a foreign root can be finished.
debootstrap_can_exec() {
  local qemu
  case $1 in
    arm64) qemu=qemu-aarch64 ;;
    armhf|armel) qemu=qemu-arm ;;
    *) qemu=qemu-$1 ;;
  esac
  [[ -r /proc/sys/fs/binfmt_misc/$qemu ]] && grep -q '^enabled' "/proc/sys/fs/binfmt_misc/$qemu"
}
