#!/usr/bin/env bash
# The city story end to end, release build, beside the issues' aims:
#   registered -> active with a delivered payload, through the simulated MNO (issue 5), and
#   the owner's transfer request -> every meter connected to the new ASP (issue 6: aim under 10 s for 1,000),
#   and every meter renewing its certificate by EST until it is back online from the registry's new payload.
# With --two-nodes, each size is played twice in the same run: one node over SQLite, then two nodes over PostgreSQL
# with the meters resolving from an NSD secondary (issue 8), and the second's times are printed as a ratio of the
# first's. Uses $IOTREG_TEST_POSTGRES_URL, or a throw-away cluster in .build-pg-bench/.
# Usage: bench/demo.sh [--two-nodes] [DEVICES ...]   (default: 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
TWO=0
if [ "${1:-}" = "--two-nodes" ]; then TWO=1; shift; fi
swift build -c release --product iotreg >&2
BIN="$(swift build -c release --show-bin-path)/iotreg"
[ "$#" -gt 0 ] || set -- 1000
URL=""
if [ "$TWO" = 1 ]; then
    URL=${IOTREG_TEST_POSTGRES_URL:-}
    if [ -z "$URL" ]; then
        URL=$(scripts/postgres-test-cluster.sh --dir .build-pg-bench)
        trap 'scripts/postgres-test-cluster.sh stop --dir .build-pg-bench' EXIT
    fi
fi
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"

# play N [extra demo arguments...]: runs the story, sets activation/connection/transfer/renewal seconds.
play() {
    local n="$1"; shift
    local out
    out="$("$BIN" demo --devices "$n" "$@" 2>/dev/null)" || { echo "$out"; echo "demo with $n devices $* FAILED"; exit 1; }
    sec() { awk -v step="$1" 'index($0, step) == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9][0-9]$/) { print $i; exit } }' <<<"$out"; }
    activation="$(sec "4 activation")"
    connection="$(sec "5 connection")"
    transfer="$(sec "6 transfer")"
    renewal="$(sec "7 renewal")"
}

report() {
    local n="$1" label="$2"
    local aim
    aim="$(echo "10 * $n / 1000" | bc -l)"
    printf '%-34s %7d devices: activation+payload OTA %8.2f s (%7.1f devices/s)\n' "$label" "$n" "$activation" \
        "$(echo "$n / $activation" | bc -l)"
    printf '%-34s %7d devices: first DANE connections %8.2f s (%7.1f handshakes/s, both sides DANE-checked)\n' \
        "$label" "$n" "$connection" "$(echo "$n / $connection" | bc -l)"
    printf '%-34s %7d devices: transfer -> all reconnected %8.2f s vs aim %6.1f s (10 s per 1,000)   ratio %.2f\n' \
        "$label" "$n" "$transfer" "$aim" "$(echo "$transfer / $aim" | bc -l)"
    printf '%-34s %7d devices: EST renewal -> new payload -> reconnected %8.2f s (%7.1f devices/s)\n' "$label" \
        "$n" "$renewal" "$(echo "$n / $renewal" | bc -l)"
}

for n in "$@"; do
    play "$n"
    report "$n" "1 node, SQLite"
    if [ "$TWO" = 1 ]; then
        one=("$activation" "$transfer" "$renewal")
        db="iotreg_demo_bench_$$_$n"
        psql -X -q -d "$URL" -c "CREATE DATABASE $db"
        play "$n" --database "$(sed -E "s#/[^/?]*(\?|\$)#/$db\1#" <<<"$URL")" --nodes 2 --secondary nsd
        psql -X -q -d "$URL" -c "DROP DATABASE $db WITH (FORCE)"
        report "$n" "2 nodes, PostgreSQL, NSD secondary"
        printf '%-34s %7d devices: two nodes / one node, seconds: activation %.2f, transfer %.2f, renewal %.2f\n' \
            "ratio" "$n" "$(echo "$activation / ${one[0]}" | bc -l)" "$(echo "$transfer / ${one[1]}" | bc -l)" \
            "$(echo "$renewal / ${one[2]}" | bc -l)"
    fi
done
