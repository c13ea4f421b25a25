#!/bin/sh
# TLS handshakes per second at the sample ASP, DANE client checks off / on (cache cold, warm), with the ratio,
# then `openssl speed ecdsap256` in the same run: per TLS 1.3 mutual handshake the two sides make 2 ECDSA P-256
# signatures and 2 verifications (plus ECDHE), so sign/2 and verify/2 bound the handshake rate per core.
# Usage: bench/dane-handshakes.sh [devices=400] [concurrency=16]      (release build)
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product bench-dane >/dev/null 2>&1
"$(swift build -c release --show-bin-path)/bench-dane" "$@"
openssl speed -seconds 2 ecdsap256 2>/dev/null | awk '/nistp256/ && /ecdsa/ {
    s = $(NF-1); v = $NF; bound = 1 / (2 / s + 2 / v)
    printf "openssl speed ecdsap256 (same run): %.0f sign/s, %.0f verify/s -> ECDSA bound ~%.0f handshakes/s per core\n", s, v, bound }'
