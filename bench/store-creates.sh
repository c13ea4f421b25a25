#!/usr/bin/env bash
# Device creates per second through the registry core, and one bulk create job, on SQLite and on PostgreSQL
# (one node) in the same run, side by side with the ratio PostgreSQL / SQLite. With --transfer N, then a bulk
# transfer of N active, certified devices on SQLite (one node), on PostgreSQL with one node and with two nodes
# (issue 8's figure is --transfer 1000000: about 80 minutes here by the 20,000-device rates, most of it certifying
# the two fleets and moving the PostgreSQL one).
#   bench/store-creates.sh [--creates 20000] [--concurrency 16] [--bulk 100000] [--transfer 0]
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
