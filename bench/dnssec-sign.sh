#!/usr/bin/env bash
# Signs the test zone iotregistry.test. with N fake devices (2 names each: TLSA + CERT) from scratch with
# our signer (bench-dnssec-sign), ldns-signzone and dnssec-signzone, all ECDSA P-256 (algorithm 13) with NSEC,
# and measures the physical limit with `openssl speed -seconds 3 ecdsap256` (signatures/s = records/s).
# Also times one incremental device change (add TLSA + CERT, re-sign) in our signer.
#
#   bench/dnssec-sign.sh            # 100000 devices
#   bench/dnssec-sign.sh -n 1000000 # the big run
set -euo pipefail
N=100000
while getopts "n:" opt; do
    case $opt in
        n) N=$OPTARG ;;
        *) echo "usage: $0 [-n DEVICES]" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dnssec-sign.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

swift build -c release --product bench-dnssec-sign >/dev/null
BIN=$(swift build -c release --show-bin-path)/bench-dnssec-sign
CORES=$(nproc)

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

echo "== ours (bench-dnssec-sign, $CORES cores)"
"$BIN" -n "$N" --write-zone "$WORK/zone" | tee "$WORK/ours.txt"
OURS=$(sed -n 's/^ours_full_seconds=//p' "$WORK/ours.txt")
SIGS=$(sed -n 's/.*signatures=\([0-9]*\).*/\1/p' "$WORK/ours.txt" | head -1)

echo "== ldns-signzone (single-threaded)"
(cd "$WORK" && mkdir ldns && cd ldns \
    && KSK=$(ldns-keygen -a ECDSAP256SHA256 -k iotregistry.test) && ZSK=$(ldns-keygen -a ECDSAP256SHA256 iotregistry.test) \
    && cp ../zone zone && T0=$(now) && ldns-signzone zone "$ZSK" "$KSK" && T1=$(now) \
    && echo "ldns_seconds=$(elapsed "$T0" "$T1")") | tee "$WORK/ldns.txt"
LDNS=$(sed -n 's/^ldns_seconds=//p' "$WORK/ldns.txt")

echo "== dnssec-signzone (BIND, $CORES threads)"
(cd "$WORK" && mkdir bind && cd bind && cp ../zone zone \
    && dnssec-keygen -q -a ECDSAP256SHA256 -f KSK -K . iotregistry.test >/dev/null \
    && dnssec-keygen -q -a ECDSAP256SHA256 -K . iotregistry.test >/dev/null \
    && T0=$(now) && dnssec-signzone -q -S -K . -n "$CORES" -o iotregistry.test -f zone.signed zone >/dev/null && T1=$(now) \
    && echo "bind_seconds=$(elapsed "$T0" "$T1")") | tee "$WORK/bind.txt"
BIND=$(sed -n 's/^bind_seconds=//p' "$WORK/bind.txt")

# `openssl speed` counts CPU time per process; -multi reports wall-clock throughput of CORES processes, which is
# what a loaded machine really gives. The limit is the better of the two (ideal: ONE * CORES).
echo "== openssl speed -seconds 3 ecdsap256 (one process, and -multi $CORES)"
ONE=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print $(NF-1)}')
MULTI=$(openssl speed -multi "$CORES" -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print $(NF-1)}')
IDEAL=$(echo "$ONE * $CORES" | bc -l)
LIMIT=$(echo "$SIGS / $MULTI" | bc -l)
LIMIT_IDEAL=$(echo "$SIGS / $IDEAL" | bc -l)
OURS_CPU_RATE=$(sed -n 's/.*ours_signatures_per_cpu_second=//p' "$WORK/ours.txt")

echo
echo "== summary: $N devices, $SIGS signatures, $CORES cores"
printf "%-34s %10s %12s\n" "signer" "seconds" "vs ours"
printf "%-34s %10.2f %12s\n" "ours (SignedZone)" "$OURS" "1.00"
printf "%-34s %10.2f %12.2f\n" "ldns-signzone" "$LDNS" "$(echo "$LDNS / $OURS" | bc -l)"
printf "%-34s %10.2f %12.2f\n" "dnssec-signzone -n $CORES" "$BIND" "$(echo "$BIND / $OURS" | bc -l)"
printf "%-34s %10.2f %12.2f\n" "openssl -multi $CORES wall limit" "$LIMIT" "$(echo "$LIMIT / $OURS" | bc -l)"
printf "%-34s %10.2f %12.2f\n" "openssl ideal limit (1 core x $CORES)" "$LIMIT_IDEAL" "$(echo "$LIMIT_IDEAL / $OURS" | bc -l)"
echo "sign/s: openssl one core (CPU time) $ONE, openssl -multi $CORES (wall) $MULTI;" \
    "ours $(echo "$SIGS / $OURS" | bc) (wall), $OURS_CPU_RATE per CPU second"
echo "load average during run: $(cut -d' ' -f1-3 /proc/loadavg)"
grep '^ours_incremental' "$WORK/ours.txt"
