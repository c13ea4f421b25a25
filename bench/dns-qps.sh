#!/usr/bin/env bash
# Queries per second and memory per device of our authoritative server (DNSServer, via bench-dns-serve) beside NSD
# and Knot serving the very same signed zone (N devices: TLSA 3 1 1 at <eid>._device and CERT PKIX at
# <rpid>.<eid>, DESIGN.md "DNS names"), on loopback, in the same run, with response rate limiting off on all three.
#
# dnsperf runs twice against each server: existing names (TLSA + CERT, no EDNS), and a 50/50 mix of existing and
# non-existent names with the DO bit (NXDOMAIN with SOA + NSEC proofs + RRSIGs). dnsperf shares the machine's cores
# with the server under test, as it would for the peers.
#
#   bench/dns-qps.sh                 # 100000 devices, 10 s per run
#   bench/dns-qps.sh -n 10000 -l 5   # a quick look
set -euo pipefail
N=100000
SECONDS_PER_RUN=10
while getopts "n:l:" opt; do
    case $opt in
        n) N=$OPTARG ;;
        l) SECONDS_PER_RUN=$OPTARG ;;
        *) echo "usage: $0 [-n DEVICES] [-l SECONDS_PER_RUN]" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dns-qps.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

swift build -c release --scratch-path .build-release --product bench-dns-serve >/dev/null
BIN=$(swift build -c release --scratch-path .build-release --show-bin-path)/bench-dns-serve
CORES=$(nproc)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_soa() {  # port
    for _ in $(seq 1 600); do
        kdig @127.0.0.1 -p "$1" +short +timeout=1 +retry=0 iotregistry.test. SOA 2>/dev/null | grep -q hostmaster && return 0
        sleep 0.5
    done
    echo "server on port $1 never answered" >&2
    return 1
}
# Proportional set size of a process and its children, in KiB (NSD forks; PSS splits shared pages fairly).
pss_kib() {
    local total=0 p
    for p in $1 $(pgrep -P "$1" || true); do
        total=$((total + $(awk '/^Pss:/ {s += $2} END {print s + 0}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
perf() {  # port queryfile extra-args -> qps
    dnsperf -s 127.0.0.1 -p "$1" -d "$2" -l "$SECONDS_PER_RUN" -c 8 -T "$CORES" -q 200 ${3:-} 2>&1 \
        | awk '/Queries per second:/ {print $4}'
}
rcodes() {  # port queryfile extra-args: dnsperf's response-code line, to show that the mix really is 50% NXDOMAIN
    dnsperf -s 127.0.0.1 -p "$1" -d "$2" -l 2 -c 2 -T 1 ${3:-} 2>&1 | awk '/Response codes:/ {$1=$2=""; print}'
}

start_ours() {  # dir devices -> sets OURS_PID OURS_PORT
    OURS_PORT=$(free_port)
    "$BIN" --port "$OURS_PORT" --devices "$2" --dir "$1" --seconds 3600 >"$1/ours.log" 2>&1 &
    OURS_PID=$!
    PIDS+=("$OURS_PID")
    # bench-dns-serve waits for `go` before its change timings (bench-zone-publish starts a secondary first).
    for _ in $(seq 1 1800); do grep -q '^ZONE-WRITTEN' "$1/ours.log" && break; sleep 0.5; done
    touch "$1/go"
    for _ in $(seq 1 1800); do grep -q '^READY' "$1/ours.log" && break; sleep 0.5; done
    grep -q '^READY' "$1/ours.log" || { cat "$1/ours.log"; exit 1; }
}
start_nsd() {  # dir (holding zone.signed) -> sets NSD_PID NSD_PORT
    NSD_PORT=$(free_port)
    mkdir -p "$1/nsd"
    cat >"$1/nsd/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1
  port: $NSD_PORT
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$1"
  database: ""
  pidfile: "$1/nsd/nsd.pid"
  xfrdfile: "$1/nsd/xfrd.state"
  zonelistfile: "$1/nsd/zone.list"
  logfile: "$1/nsd/nsd.log"
  server-count: $CORES
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "iotregistry.test."
  zonefile: "$1/zone.signed"
EOF
    nsd -d -c "$1/nsd/nsd.conf" 2>"$1/nsd/stderr" &
    NSD_PID=$!
    PIDS+=("$NSD_PID")
}
start_knot() {  # dir (holding zone.signed) -> sets KNOT_PID KNOT_PORT
    KNOT_PORT=$(free_port)
    mkdir -p "$1/knot"
    cat >"$1/knot/knot.conf" <<EOF
server:
  rundir: "$1/knot"
  listen: 127.0.0.1@$KNOT_PORT
  udp-workers: $CORES
  tcp-workers: 1
  background-workers: 1
database:
  storage: "$1/knot"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$1"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
  - domain: iotregistry.test.
    file: "$1/zone.signed"
EOF
    knotd -c "$1/knot/knot.conf" 2>"$1/knot/stderr" &
    KNOT_PID=$!
    PIDS+=("$KNOT_PID")
}

# Each server's memory with a zone of one device first: what it takes before holding any devices (the program,
# its libraries, its buffers). "Marginal B/dev" below is the memory a device adds beyond that.
declare -A BASE
mkdir -p "$WORK/base"
start_ours "$WORK/base" 1
start_nsd "$WORK/base"
start_knot "$WORK/base"
wait_soa "$NSD_PORT"
wait_soa "$KNOT_PORT"
sleep 2
BASE[ours]=$(pss_kib "$OURS_PID")
BASE[nsd]=$(pss_kib "$NSD_PID")
BASE[knot]=$(pss_kib "$KNOT_PID")
kill "$OURS_PID" "$NSD_PID" "$KNOT_PID"
wait "$OURS_PID" "$NSD_PID" "$KNOT_PID" 2>/dev/null || true
echo "== with one device: ours ${BASE[ours]} KiB, NSD ${BASE[nsd]} KiB, Knot ${BASE[knot]} KiB (PSS)"

echo "== ours: signing and serving $N devices (bench-dns-serve, $CORES UDP listeners)"
start_ours "$WORK" "$N"
grep '^READY' "$WORK/ours.log"
echo "== NSD $(nsd -v 2>&1 | head -1 | awk '{print $3}') on the same signed zone"
start_nsd "$WORK"
echo "== Knot $(knotd -V 2>&1 | awk '{print $NF}') on the same signed zone"
start_knot "$WORK"
wait_soa "$NSD_PORT"
wait_soa "$KNOT_PORT"
sleep 2

declare -A EXIST MIXED MEM
for s in ours:$OURS_PORT:$OURS_PID nsd:$NSD_PORT:$NSD_PID knot:$KNOT_PORT:$KNOT_PID; do
    IFS=: read -r name port pid <<<"$s"
    MEM[$name]=$(pss_kib "$pid")
    echo "-- $name: existing names"
    EXIST[$name]=$(perf "$port" "$WORK/queries-existing")
    echo "-- $name: 50% non-existent, DO ($(rcodes "$port" "$WORK/queries-mixed" -D))"
    MIXED[$name]=$(perf "$port" "$WORK/queries-mixed" -D)
done

echo
echo "== summary: $N devices ($(grep -o 'names=[0-9]*' "$WORK/ours.log")), $CORES cores shared with dnsperf, RRL off"
printf "%-8s %14s %10s %20s %10s %14s %8s %16s %8s\n" server "existing q/s" "ours/x" "50% NX + DO q/s" "ours/x" \
    "bytes/device" "x/ours" "marginal B/dev" "x/ours"
for name in ours nsd knot; do
    printf "%-8s %14.0f %10.2f %20.0f %10.2f %14.0f %8.2f %16.0f %8.2f\n" "$name" \
        "${EXIST[$name]}" "$(echo "${EXIST[ours]} / ${EXIST[$name]}" | bc -l)" \
        "${MIXED[$name]}" "$(echo "${MIXED[ours]} / ${MIXED[$name]}" | bc -l)" \
        "$(echo "${MEM[$name]} * 1024 / $N" | bc -l)" "$(echo "${MEM[$name]} / ${MEM[ours]}" | bc -l)" \
        "$(echo "(${MEM[$name]} - ${BASE[$name]}) * 1024 / $N" | bc -l)" \
        "$(echo "(${MEM[$name]} - ${BASE[$name]}) / (${MEM[ours]} - ${BASE[ours]})" | bc -l)"
done
echo "memory = PSS of the serving process(es) after loading (ours: the whole process that signed the zone too);"
echo "marginal = (PSS with N devices - PSS with one device) / N"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
