#!/bin/sh
# Certificates issued per second by the PKI module (parse CSR + verify + build + sign), on one core and on two,
# beside `openssl speed ecdsap256` (sign + verify) measured in the same run, as a ratio to the physical limit
# 1/(1/sign_rate + 1/verify_rate).
# Usage: bench/pki-issue.sh [seconds-per-measurement]   (default 3)
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product bench-pki-issue >/dev/null
exec "$(swift build -c release --show-bin-path)/bench-pki-issue" "${1:-3}"
