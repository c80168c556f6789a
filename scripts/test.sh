#!/usr/bin/env bash
# test.sh — installs what the tests need, builds, and runs the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build -j"$(nproc)" --output-on-failure --timeout 300
