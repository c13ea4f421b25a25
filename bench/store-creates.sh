#!/usr/bin/env bash
# Device creates per second through the registry core, and one bulk create job, on SQLite and on PostgreSQL
# (one node) in the same run, side by side with the ratio PostgreSQL / SQLite.
#   bench/store-creates.sh [--creates 20000] [--concurrency 16] [--bulk 100000]
# Uses $IOTREG_TEST_POSTGRES_URL when set; otherwise starts a throw-away cluster (scripts/postgres-test-cluster.sh)
# in .build-pg-bench/ and removes it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product bench-store >/dev/null
URL=${IOTREG_TEST_POSTGRES_URL:-}
if [ -z "$URL" ]; then
    URL=$(scripts/postgres-test-cluster.sh --dir .build-pg-bench)
    trap 'scripts/postgres-test-cluster.sh stop --dir .build-pg-bench' EXIT
fi
.build/release/bench-store --postgres "$URL" "$@"
