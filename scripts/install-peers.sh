#!/usr/bin/env bash
# Installs the peer tools our tests check our output with (Debian packages, pinned PyPI packages).
# Quiet and idempotent: a second run installs nothing.
set -euo pipefail

APT_PACKAGES=(
    knot-dnsutils bind9-dnsutils bind9-utils ldnsutils unbound unbound-host nsd knot knot-dnssecutils
    dnsperf openssl libxml2-utils sqlite3 libsqlite3-dev curl wrk postgresql
)
PIP_PACKAGES=(
    cbor2==5.6.5 pycose==1.1.0 pyhpke==0.6.5 dnspython==2.7.0
    cryptography==48.0.0 openapi-spec-validator==0.9.0 schemathesis==3.39.16 pyepp==0.3.2
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# nsd/unbound/knot packages may start system daemons on install; our tests run their own on loopback.
for svc in nsd unbound knot postgresql; do
    (command -v systemctl >/dev/null && systemctl stop "$svc" 2>/dev/null) || true
done

if ! python3 - "${PIP_PACKAGES[@]}" <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
    echo "installing PyPI packages: ${PIP_PACKAGES[*]}"
    python3 -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
fi
