#!/usr/bin/env bash
# Registry Payload throughput beside the physical limit measured by openssl in the same run:
#   built+signed+sealed/s  vs  openssl ECDSA P-256 sign/s  (one signature per payload)
#                          vs  openssl ECDH P-256 op/s     (one ECDH per sealed secret, plus a key generation)
#   verified+opened/s      vs  openssl ECDSA P-256 verify/s
# openssl runs before and after ours and the two are averaged, so a busy machine skews both sides alike.
# Usage: bench/payload.sh [SECONDS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
S="${1:-3}"

swift build -c release --product bench-payload >&2
BIN="$(swift build -c release --show-bin-path)/bench-payload"

ecdsa() { openssl speed -seconds "$S" ecdsap256 2>/dev/null | awk '/ecdsa \(nistp256\)/ {print $(NF-1), $NF}'; }
ecdh() { openssl speed -seconds "$S" ecdhp256 2>/dev/null | awk '/ecdh \(nistp256\)/ {print $NF}'; }

ecdsa_before="$(ecdsa)"
ecdh_before="$(ecdh)"
ours="$("$BIN" --seconds "$S")"
ecdh_after="$(ecdh)"
ecdsa_after="$(ecdsa)"

built="$(awk '/^payloads_built_signed_sealed_per_sec/ {print $2}' <<<"$ours")"
opened="$(awk '/^payloads_verified_opened_per_sec/ {print $2}' <<<"$ours")"
size="$(awk '/^payload_bytes/ {print $2}' <<<"$ours")"
sign="$(echo "(${ecdsa_before% *} + ${ecdsa_after% *}) / 2" | bc -l)"
verify="$(echo "(${ecdsa_before#* } + ${ecdsa_after#* }) / 2" | bc -l)"
ecdh="$(echo "($ecdh_before + $ecdh_after) / 2" | bc -l)"

printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
printf 'payload size (COSE_Sign1 bytes)         %10s\n' "$size"
printf 'payloads built+signed+sealed /s         %10.1f\n' "$built"
printf 'openssl ecdsap256 sign /s               %10.1f   ratio %.3f\n' "$sign" "$(echo "$built / $sign" | bc -l)"
printf 'openssl ecdhp256 op /s                  %10.1f   ratio %.3f\n' "$ecdh" "$(echo "$built / $ecdh" | bc -l)"
printf 'payloads verified+opened /s (device)    %10.1f\n' "$opened"
printf 'openssl ecdsap256 verify /s             %10.1f   ratio %.3f\n' "$verify" "$(echo "$opened / $verify" | bc -l)"
echo "components (where a payload's time goes; measured after the run above):"
"$BIN" --seconds 1 --components | grep '^component_' | sed 's/^component_/  /'
