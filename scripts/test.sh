#!/usr/bin/env bash
# The whole test suite: peers installed, then every Swift test (unit, store battery, interop with real peers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-peers.sh
export IOTREG_REQUIRE_PEERS="${CI:+1}"
swift build --build-tests
swift test --skip-build
