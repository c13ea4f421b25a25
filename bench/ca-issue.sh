#!/bin/sh
# Certificates issued per second through the registry with storage (CSR verify + sign + durable SQLite commit of
# record, audit entry and outbox event), pinned to one core and to two (taskset), beside `openssl speed ecdsap256`
# (sign + verify) measured in the same run, as a ratio to the physical limit 1/(1/sign_rate + 1/verify_rate).
# Usage: bench/ca-issue.sh [seconds-per-measurement] [devices] [concurrency]   (default 3 s, 2000, 64)
set -eu
cd "$(dirname "$0")/.."
secs="${1:-3}"
devices="${2:-2000}"
inflight="${3:-64}"
swift build -c release --product bench-ca-issue >/dev/null
bin="$(swift build -c release --show-bin-path)/bench-ca-issue"
# openssl prints: " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  41750.0  14377.8" (sign/s, verify/s last)
limit() { echo "$1" | awk '{ printf "%.0f", 1 / (1 / $1 + 1 / $2) }'; }
one=$(taskset -c 0 openssl speed -seconds "$secs" ecdsap256 2>/dev/null | awk '/nistp256|256 bits/ && NF >= 4 { s=$(NF-1); v=$NF } END { print s, v }')
two=$(taskset -c 0,1 openssl speed -seconds "$secs" -multi 2 ecdsap256 2>/dev/null | awk '/nistp256|256 bits/ && NF >= 4 { s=$(NF-1); v=$NF } END { print s, v }')
limit1=$(limit "$one")
limit2=$(limit "$two")
seq1=$(taskset -c 0 "$bin" "$secs" "$devices" 1 | tail -1)
con1=$(taskset -c 0 "$bin" "$secs" "$devices" "$inflight" | tail -1)
con2=$(taskset -c 0,1 "$bin" "$secs" "$devices" "$inflight" | tail -1)
echo "bench/ca-issue.sh: CSR verify + sign + durable SQLite commit per certificate, ${secs} s each, ${devices} devices"
echo "  openssl speed ecdsap256, 1 core : sign/verify $one -> limit $limit1 issuances/s"
echo "  openssl speed ecdsap256 -multi 2: sign/verify $two -> limit $limit2 issuances/s on 2 cores"
# Each iotreg line: certificates per wall-clock second, per CPU-second (as openssl speed counts), and the ratio of the
# CPU-second rate to the limit.
line() { echo "$2" | awk -v l="$3" -v t="$1" '{ printf "  iotreg %-24s: %6.0f certs/s wall clock, %6.0f per CPU-second; iotreg/limit = %.2f\n", t, $2, $3, $3 / l }'; }
line "1 core, 1 in flight" "$seq1" "$limit1"
line "1 core, $inflight in flight" "$con1" "$limit1"
line "2 cores, $inflight in flight" "$con2" "$limit2"
