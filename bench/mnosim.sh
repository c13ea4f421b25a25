#!/usr/bin/env bash
# The simulated MNO end to end: N eSIMs from "no key" to "verified payload held" (generate-key task, CSR made on the
# eSIM, certificate issued, payload built+signed+sealed, delivery task, payload verified and stored on the eSIM),
# through SimulatedMNO and an in-memory registry channel (no HTTP, no database).
# Beside it, the crypto bound measured by openssl in the same run. Per device the work holds 4 ECDSA P-256
# signatures, 7 verifications and 6 scalar multiplications (2 ECDH, 4 key generations), so
#   bound (devices per CPU second) = 1 / (4/sign + 7/verify + 6/ecdh)
# openssl runs before and after ours and the two are averaged, so a busy machine skews both sides alike.
# Usage: bench/mnosim.sh [DEVICES] [SECONDS]   (default 1000 devices, openssl 3 s)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000}"
S="${2:-3}"

swift build -c release --product bench-mnosim >&2
BIN="$(swift build -c release --show-bin-path)/bench-mnosim"

ecdsa() { openssl speed -seconds "$S" ecdsap256 2>/dev/null | awk '/ecdsa \(nistp256\)/ {print $(NF-1), $NF}'; }
ecdh() { openssl speed -seconds "$S" ecdhp256 2>/dev/null | awk '/ecdh \(nistp256\)/ {print $NF}'; }

ecdsa_before="$(ecdsa)"
ecdh_before="$(ecdh)"
ours="$("$BIN" --devices "$N")"
ecdh_after="$(ecdh)"
ecdsa_after="$(ecdsa)"

get() { awk -v k="$1" '$1 == k {print $2}' <<<"$ours"; }
sign="$(echo "(${ecdsa_before% *} + ${ecdsa_after% *}) / 2" | bc -l)"
verify="$(echo "(${ecdsa_before#* } + ${ecdsa_after#* }) / 2" | bc -l)"
ecdh="$(echo "($ecdh_before + $ecdh_after) / 2" | bc -l)"
bound="$(echo "1 / (4 / $sign + 7 / $verify + 6 / $ecdh)" | bc -l)"
percpu="$(get devices_per_cpu_sec)"

printf 'load average: %s   cores: %s   MNO concurrency: %s\n' \
    "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)" "$(get cores)" "$(get concurrency)"
printf 'devices activated (failed: %s, spot-checked verified: %s/50)  %8s\n' "$(get failed)" \
    "$(get spot_checked_verified)" "$(get devices)"
printf 'personalising the fleet, s                        %10.2f\n' "$(get personalise_seconds)"
printf 'activation, wall s                                %10.2f   (%.1f devices/s)\n' \
    "$(get activation_wall_seconds)" "$(get devices_per_sec)"
printf 'activation, devices per CPU second                %10.1f\n' "$percpu"
printf 'openssl bound, devices per CPU second             %10.1f   ratio %.3f\n' "$bound" "$(echo "$percpu / $bound" | bc -l)"
printf '  (openssl ecdsap256 sign/s %.0f, verify/s %.0f, ecdhp256 op/s %.0f)\n' "$sign" "$verify" "$ecdh"
printf 'component: one eSIM state-file write, ms     %10.2f wall, %.2f CPU (%s-byte JSON file, rewritten whole)\n' \
    "$(get state_write_ms_wall)" "$(get state_write_ms_cpu)" "$(get state_file_bytes)"
