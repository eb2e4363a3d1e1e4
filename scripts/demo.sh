#!/usr/bin/env bash
# The five-minute tour, and the README's first command. On a fresh Debian 12
# clone, as root: installs what is needed and builds slimbuild
# (scripts/setup.sh), compiles the hello-cpp example, builds its image into
# ./out/hello-cpp, rebuilds it to show the digest does not move, shows what
# is inside, and runs the program inside the image as its non-root user
# (umoci unpack + unshare + chroot: no container runtime is needed). Any
# failure stops the demo with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
if [[ -n ${NO_COLOR:-} || ! -t 1 ]]; then step() { printf '\n==> %s\n' "$*"; }; fi

if [[ $(id -u) -ne 0 ]]; then
  echo "demo: please run as root: it installs packages, and running the image needs unshare and chroot" >&2
  exit 1
fi

step "Installing packages and building slimbuild (scripts/setup.sh)"
scripts/setup.sh

step "Compiling the example program (examples/hello-cpp/build.sh)"
examples/hello-cpp/build.sh

step "Building the image: build/slimbuild build examples/hello-cpp/slimbuild.yml -o out/hello-cpp"
cat examples/hello-cpp/slimbuild.yml
echo
digest=$(build/slimbuild build examples/hello-cpp/slimbuild.yml -o out/hello-cpp | tail -n 1)
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "demo: the build did not print a digest" >&2; exit 1; }
echo "image digest: $digest"

step "Rebuilding: same inputs, same digest"
again=$(build/slimbuild build examples/hello-cpp/slimbuild.yml -o out/hello-cpp | tail -n 1)
echo "image digest: $again"
if [[ $again != "$digest" ]]; then
  echo "demo: the rebuild gave a different digest" >&2
  exit 1
fi

step "What the image holds (build/slimbuild inspect out/hello-cpp)"
build/slimbuild inspect out/hello-cpp
echo "layout size on disk: $(du -sh out/hello-cpp | cut -f1)"

step "Running it inside the image as its user (umoci unpack, unshare, chroot)"
# The integration tests' run helper: the image's entrypoint, user and env only.
source tests/integration/lib.sh
run_image out/hello-cpp 1.0 - -- --expect-tz=CET

step "Done"
cat <<TXT
The OCI layout is in out/hello-cpp ($digest).
Next steps:
  skopeo inspect oci:out/hello-cpp:1.0             read it with containers/image
  umoci ls --layout out/hello-cpp                  list its tags with umoci
  build/slimbuild build examples/hello-cpp/slimbuild.yml --format docker-archive -o out/hello-cpp.tar
  podman load -i out/hello-cpp.tar                 load it into podman or docker
  build/slimbuild push out/hello-cpp REGISTRY/REPO:TAG
                                                   push it (docker-registry, Harbor, GHCR, ...)
TXT
