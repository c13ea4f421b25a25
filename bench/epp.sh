#!/usr/bin/env bash
# EPP commands per second (create, check, info) over one session and over many concurrent sessions, beside the same
# operations over REST (wrk) against the same `iotreg serve`, measured in the same run, with EPP/REST ratios.
#   bench/epp.sh [-d SECONDS_PER_MEASURE] [-c CONCURRENT_SESSIONS] [-b release|debug]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=5; SESSIONS=32; CONFIG=release
while getopts "d:c:b:" opt; do
    case $opt in d) SECONDS_EACH=$OPTARG ;; c) SESSIONS=$OPTARG ;; b) CONFIG=$OPTARG ;; *) exit 2 ;; esac
done
for tool in wrk curl openssl python3; do
    command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y wrk curl openssl python3)"; exit 1; }
done
swift build -c "$CONFIG" --product iotreg >/dev/null
swift build -c "$CONFIG" --product bench-epp >/dev/null
BIN=.build/$CONFIG
echo "build: $CONFIG (both EPP and REST are measured from the same binary)"
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP_PORT=$(free_port); EPP_PORT=$(free_port)
$BIN/iotreg serve --data "$WORK/data" --http 127.0.0.1:$HTTP_PORT --dns off --epp 127.0.0.1:$EPP_PORT \
    >"$WORK/serve.log" 2>&1 &
SERVER=$!
URL=http://127.0.0.1:$HTTP_PORT
for _ in $(seq 200); do curl -sf $URL/healthz >/dev/null && [ -f "$WORK/data/epp-tls.pem" ] && break; sleep 0.1; done
OP=$(cat "$WORK/data/operator.token")
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
post() { curl -sf -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$3" "$URL$2"; }
ASP=$(post "$OP" /v1/asps '{"name":"ParkoServ","fqdn":"iot.parkoserv.test","port":8883}')
ASP_ID=$(echo "$ASP" | json id); ASP_TOKEN=$(echo "$ASP" | json token)
OWNER=$(post "$OP" /v1/owners '{"name":"City"}' | json id)
MNO=$(post "$OP" /v1/mnos '{"name":"Telco"}' | json id)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=$ASP_ID" \
    -keyout "$WORK/client.key" -out "$WORK/client.pem" 2>/dev/null
curl -sf -H "Authorization: Bearer $ASP_TOKEN" -H 'Content-Type: application/x-pem-file' \
    --data-binary @"$WORK/client.pem" "$URL/v1/asps/$ASP_ID/certificates" >/dev/null

# EPP: each session logs in once (TLS with the client certificate), then one command at a time.
$BIN/bench-epp --port "$EPP_PORT" --ca "$WORK/data/epp-tls.pem" --cert "$WORK/client.pem" --key "$WORK/client.key" \
    --asp "$ASP_ID" --token "$ASP_TOKEN" --owner "$OWNER" --mno "$MNO" --seconds "$SECONDS_EACH" \
    --sessions "1,$SESSIONS" --ops create,check,info --write-eids "$WORK/eids.txt" | tee "$WORK/epp.txt"

# REST: the same operations with wrk, one connection and SESSIONS connections.
declare -A REST
for conns in 1 "$SESSIONS"; do
    threads=$(( conns < 2 ? 1 : 2 ))
    for mode in create check info; do
        out=$(MODE=$mode IOTREG_TOKEN=$ASP_TOKEN IOTREG_OWNER=$OWNER IOTREG_MNO=$MNO EID_PREFIX=$(printf '66%02d00' "$conns") \
            EIDS_FILE="$WORK/eids.txt" wrk -t$threads -c"$conns" -d"${SECONDS_EACH}s" -s bench/epp-rest.lua "$URL" 2>&1)
        echo "$out" | grep '^wrk ' || true
        REST[$mode-$conns]=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    done
done

printf '\n%-34s %12s %12s %10s\n' "operation" "EPP/s" "REST/s" "EPP/REST"
for conns in 1 "$SESSIONS"; do
    for mode in create check info; do
        epp=$(awk -v op="$mode" -v s="sessions=$conns" '$1=="epp" && $2==op && $3==s {sub("rate=","",$6); print $6}' "$WORK/epp.txt")
        rest=${REST[$mode-$conns]}
        printf '%-34s %12.0f %12.0f %10.2f\n' "$mode ($conns session(s))" "$epp" "$rest" "$(python3 -c "print($epp / $rest)")"
    done
done
printf 'aim: >= 5,000 info/s over EPP; EPP check names 1 EID per command here (it takes up to 100)\n'
