#!/bin/sh
# Certificates issued per second through the registry with storage (CSR verify + sign + SQLite commit of record,
# audit entry and outbox event), on one task and on two, beside `openssl speed ecdsap256` (sign + verify) measured
# in the same run, as a ratio to the physical limit 1/(1/sign_rate + 1/verify_rate).
# Usage: bench/ca-issue.sh [seconds-per-measurement] [devices]   (default 3 s, 2000 devices)
set -eu
cd "$(dirname "$0")/.."
secs="${1:-3}"
devices="${2:-2000}"
swift build -c release --product bench-ca-issue >/dev/null
bin="$(swift build -c release --show-bin-path)/bench-ca-issue"
# openssl prints: " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  41750.0  14377.8" (sign/s, verify/s last)
rates() { openssl speed -seconds "$secs" "$@" ecdsap256 2>/dev/null | awk '/nistp256|256 bits/ && NF >= 4 { s=$(NF-1); v=$NF } END { print s, v }'; }
one=$(rates)
two=$(rates -multi 2)
# shellcheck disable=SC2086
exec "$bin" "$secs" "$devices" --openssl 1 $one --openssl 2 $two
