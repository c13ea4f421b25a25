#!/usr/bin/env bash
# Registry Payload throughput beside the physical limit measured by openssl in the same run:
#   built+signed+sealed/s  vs  openssl ECDSA P-256 sign/s  (one signature per payload)
#                          vs  openssl ECDH P-256 op/s     (one ECDH per sealed secret, plus a key generation)
#   verified+opened/s      vs  openssl ECDSA P-256 verify/s
# Usage: bench/payload.sh [SECONDS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-3}"

swift build -c release --product bench-payload >&2
BIN="$(swift build -c release --show-bin-path)/bench-payload"

ours="$("$BIN" --seconds "$SECONDS_PER_RUN")"
built="$(awk '/^payloads_built_signed_sealed_per_sec/ {print $2}' <<<"$ours")"
opened="$(awk '/^payloads_verified_opened_per_sec/ {print $2}' <<<"$ours")"
size="$(awk '/^payload_bytes/ {print $2}' <<<"$ours")"

ecdsa="$(openssl speed -seconds "$SECONDS_PER_RUN" ecdsap256 2>/dev/null | awk '/ecdsa \(nistp256\)/ {print $(NF-1), $NF}')"
sign="${ecdsa% *}"
verify="${ecdsa#* }"
ecdh="$(openssl speed -seconds "$SECONDS_PER_RUN" ecdhp256 2>/dev/null | awk '/ecdh \(nistp256\)/ {print $NF}')"

printf 'payload size (COSE_Sign1 bytes)         %10s\n' "$size"
printf 'payloads built+signed+sealed /s         %10s\n' "$built"
printf 'openssl ecdsap256 sign /s               %10s   ratio %.3f\n' "$sign" "$(echo "$built / $sign" | bc -l)"
printf 'openssl ecdhp256 op /s                  %10s   ratio %.3f\n' "$ecdh" "$(echo "$built / $ecdh" | bc -l)"
printf 'payloads verified+opened /s (device)    %10s\n' "$opened"
printf 'openssl ecdsap256 verify /s             %10s   ratio %.3f\n' "$verify" "$(echo "$opened / $verify" | bc -l)"
echo "components (where a payload's time goes):"
grep '^component_' <<<"$ours" | sed 's/^component_/  /'
