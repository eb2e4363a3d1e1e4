#!/usr/bin/env bash
# Compiles hello-cpp next to this script: a plain dynamic C++ program
# (libstdc++, libgcc_s, libm, libc), as most C++ services are.
#   ./build.sh          build/hello with the native g++ (slimbuild.yml)
#   ./build.sh amd64    build/amd64/hello with x86_64-linux-gnu-g++
#   ./build.sh arm64    build/arm64/hello with aarch64-linux-gnu-g++ (cross)
#   ./build.sh all      both of those (slimbuild-multiarch.yml)
set -euo pipefail
cd "$(dirname "$0")"
build() {  # build COMPILER OUTPUT
  mkdir -p "$(dirname "$2")"
  "$1" -std=c++20 -O2 -Wall -Wextra -o "$2" main.cpp
  echo "built $(pwd)/$2" >&2
}
case ${1:-native} in
  native) build "${CXX:-g++}" build/hello ;;
  amd64) build x86_64-linux-gnu-g++ build/amd64/hello ;;
  arm64) build aarch64-linux-gnu-g++ build/arm64/hello ;;
  all) build x86_64-linux-gnu-g++ build/amd64/hello && build aarch64-linux-gnu-g++ build/arm64/hello ;;
  *) echo "usage: $0 [native|amd64|arm64|all]" >&2; exit 64 ;;
esac
