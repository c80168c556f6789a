#!/usr/bin/env bash
# build.sh — configures and builds proftrace into build/ (extra arguments go to cmake).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build "$@" >/dev/null
cmake --build build -j"$(nproc)"
