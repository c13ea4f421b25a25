#!/usr/bin/env bash
# The whole test suite: peers installed, then every Swift test (unit, store battery, interop with real peers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-peers.sh
export IOTREG_REQUIRE_PEERS="${CI:+1}"
# A throw-away PostgreSQL cluster on 127.0.0.1 for the PostgreSQL store tests, unless one is given.
if [ -z "${IOTREG_TEST_POSTGRES_URL:-}" ]; then
    export IOTREG_TEST_POSTGRES_URL="$(bash scripts/postgres-test-cluster.sh)"
    trap 'bash scripts/postgres-test-cluster.sh stop >/dev/null 2>&1 || true' EXIT
fi
# If a test crashes the process, print the crashed thread's backtrace only, so it stays in CI's log tail.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=yes,interactive=no,threads=crashed,registers=none,images=none}"
swift build --build-tests
swift test --skip-build
