#!/usr/bin/env bash
# Zone rebuild from PostgreSQL (issue 8): N active, certified devices written to a fresh database with SQL, the
# signed zone rebuilt from it (ZonePublisher.rebuild: devices read a page at a time, each page signed while the next
# is read), its time beside the ECDSA P-256 signing limit of `openssl speed -multi`, its memory beside the machine's
# RAM, then the zone following deactivations with one read per device beside batch reads.
#   bench/zone-rebuild.sh [-n DEVICES] [-f FOLLOW]   # 1000000 and 40000 by default; issue 8's figure is -n 10000000
# 10,000,000 devices take about 22 minutes here (filling the database about 5.5, the rebuild about 11) and
# 12.4 GiB of RAM at the peak, most of it the signed zone (about 1.3 KB a device with ~830-byte certificates).
# Uses $IOTREG_TEST_POSTGRES_URL when set; otherwise starts a throw-away cluster (scripts/postgres-test-cluster.sh)
# in .build-pg-bench/ and removes it afterwards.
set -euo pipefail
N=1000000
FOLLOW=40000
while getopts "n:f:" opt; do
    case $opt in
        n) N=$OPTARG ;;
        f) FOLLOW=$OPTARG ;;
        *) echo "usage: $0 [-n DEVICES] [-f FOLLOW]" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
swift build -c release --scratch-path .build-release --product bench-zone-rebuild >/dev/null
BIN=$(swift build -c release --scratch-path .build-release --show-bin-path)/bench-zone-rebuild
URL=${IOTREG_TEST_POSTGRES_URL:-}
if [ -z "$URL" ]; then
    URL=$(scripts/postgres-test-cluster.sh --dir .build-pg-bench)
    trap 'scripts/postgres-test-cluster.sh stop --dir .build-pg-bench' EXIT
fi
CORES=$(nproc)
# Wall-clock signatures per second of CORES processes: what the machine gives (see bench/dnssec-sign.sh).
LIMIT=$(openssl speed -multi "$CORES" -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print $(NF-1)}')
echo "== ECDSA P-256 signing limit (openssl speed -multi $CORES): $LIMIT signatures/s"
"$BIN" --postgres "$URL" --devices "$N" --follow "$FOLLOW" --ecdsa-limit "$LIMIT"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
