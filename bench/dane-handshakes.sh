#!/bin/sh
# TLS handshakes per second at the sample ASP, DANE client checks off / on (cache cold, warm), with the ratio,
# beside `openssl speed ecdsap256` measured in the same run. Release build.
# Usage: bench/dane-handshakes.sh [devices=400] [concurrency=16]
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product bench-dane >/dev/null
exec "$(swift build -c release --show-bin-path)/bench-dane" "$@"
