#!/usr/bin/env bash
# demo.sh — the main job: builds proftrace, runs the bundled reproduction of bug 2 (a client in
# another login session purges the service's profile) under `proftrace record`, and reports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
out=${1:-proftrace.data}
rm -rf "$out"
./build/bin/proftrace record -o "$out" -- samples/scenarios/bug2-session.sh
./build/bin/proftrace report "$out" || [ $? -eq 1 ] # 1 means findings, which is the point
