#!/usr/bin/env bash
# Compiles hello-cpp into build/hello next to this script: a plain dynamic
# C++ program (libstdc++, libgcc_s, libm, libc), as most C++ services are.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
${CXX:-g++} -std=c++20 -O2 -Wall -Wextra -o build/hello main.cpp
echo "built $(pwd)/build/hello" >&2
