#!/usr/bin/env bash
# The city story end to end, release build, beside the issues' aims:
#   registered -> active with a delivered payload, through the simulated MNO (issue 5), and
#   the owner's transfer request -> every meter connected to the new ASP (issue 6: aim under 10 s for 1,000),
#   and every meter renewing its certificate by EST until it is back online from the registry's new payload.
# Usage: bench/demo.sh [DEVICES ...]   (default: 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product iotreg >&2
BIN="$(swift build -c release --show-bin-path)/iotreg"
[ "$#" -gt 0 ] || set -- 1000
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
for n in "$@"; do
    out="$("$BIN" demo --devices "$n" 2>/dev/null)" || { echo "$out"; echo "demo with $n devices FAILED"; exit 1; }
    sec() { awk -v step="$1" 'index($0, step) == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9][0-9]$/) { print $i; exit } }' <<<"$out"; }
    activation="$(sec "4 activation")"
    connection="$(sec "5 connection")"
    transfer="$(sec "6 transfer")"
    renewal="$(sec "7 renewal")"
    aim="$(echo "10 * $n / 1000" | bc -l)"
    printf '%7d devices: activation+payload OTA %8.2f s (%7.1f devices/s)\n' "$n" "$activation" \
        "$(echo "$n / $activation" | bc -l)"
    printf '%7d devices: first DANE connections %8.2f s (%7.1f handshakes/s, both sides DANE-checked)\n' "$n" \
        "$connection" "$(echo "$n / $connection" | bc -l)"
    printf '%7d devices: transfer -> all reconnected %8.2f s vs aim %6.1f s (10 s per 1,000)   ratio %.2f\n' \
        "$n" "$transfer" "$aim" "$(echo "$transfer / $aim" | bc -l)"
    printf '%7d devices: EST renewal -> new payload -> reconnected %8.2f s (%7.1f devices/s)\n' "$n" "$renewal" \
        "$(echo "$n / $renewal" | bc -l)"
done
