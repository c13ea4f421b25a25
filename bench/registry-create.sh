#!/usr/bin/env bash
# Device creates per second: over HTTP (wrk, concurrent single requests) and through one bulk job, each printed
# beside the raw rate of the same inserts done by sqlite3 in one transaction, measured in the same run.
#   bench/registry-create.sh [-n BULK_DEVICES] [-d HTTP_SECONDS] [-c CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
BULK=200000; SECONDS_HTTP=10; CONNECTIONS=32
while getopts "n:d:c:" opt; do
    case $opt in n) BULK=$OPTARG ;; d) SECONDS_HTTP=$OPTARG ;; c) CONNECTIONS=$OPTARG ;; *) exit 2 ;; esac
done
for tool in wrk sqlite3 curl python3; do
    command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y wrk sqlite3 curl)"; exit 1; }
done
swift build -c release --product iotreg >/dev/null
BIN=.build/release/iotreg
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$BIN serve --data "$WORK/data" --http 127.0.0.1:$PORT --dns off >"$WORK/serve.log" 2>&1 &
SERVER=$!
URL=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf $URL/healthz >/dev/null && break; sleep 0.1; done
OP=$(cat "$WORK/data/operator.token")
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
post() { curl -sf -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$3" "$URL$2"; }
ASP=$(post "$OP" /v1/asps '{"name":"ParkoServ","fqdn":"iot.parkoserv.test","port":8883}')
ASP_TOKEN=$(echo "$ASP" | json token)
OWNER=$(post "$OP" /v1/owners '{"name":"City"}' | json id)
MNO=$(post "$OP" /v1/mnos '{"name":"Telco"}' | json id)

# 1. the physical reference: the same rows inserted by sqlite3 in one transaction (WAL, synchronous=FULL)
python3 - "$BULK" > "$WORK/raw.sql" <<'PY'
import sys
n = int(sys.argv[1])
print("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
print("CREATE TABLE devices (eid TEXT PRIMARY KEY, iccid TEXT NOT NULL, owner_id TEXT NOT NULL, asp_id TEXT NOT NULL, mno_id TEXT NOT NULL, state TEXT NOT NULL, model TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;")
print("BEGIN;")
for i in range(n):
    body = "8904903299%020d" % i
    eid = body + "%02d" % (98 - int(body + "00") % 97)
    print(f"INSERT INTO devices VALUES ('{eid}','8988200000000000000','owner','asp','mno','registered','SParkometer',0,0,1);")
print("COMMIT;")
PY
START=$(date +%s.%N)
sqlite3 "$WORK/raw.sqlite" < "$WORK/raw.sql" >/dev/null
RAW_S=$(python3 -c "import time; print(time.time() - $START)")
RAW_RATE=$(python3 -c "print($BULK / $RAW_S)")

# 2. single creates over HTTP, concurrent
WRK_OUT=$(IOTREG_TOKEN=$ASP_TOKEN IOTREG_OWNER=$OWNER IOTREG_MNO=$MNO \
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_HTTP}s" -s bench/registry-create.lua "$URL" 2>&1)
HTTP_RATE=$(echo "$WRK_OUT" | awk '/Requests\/sec/ {print $2}')
echo "$WRK_OUT" | grep '^wrk:'

# 3. one bulk job of BULK creates
python3 - "$BULK" "$OWNER" "$MNO" > "$WORK/job.json" <<'PY'
import json, sys
n, owner, mno = int(sys.argv[1]), sys.argv[2], sys.argv[3]
items = []
for i in range(n):
    body = "8904903288%020d" % i
    eid = body + "%02d" % (98 - int(body + "00") % 97)
    ib = "898823%012d" % i
    s = 0
    for k, ch in enumerate(reversed(ib)):
        v = int(ch)
        if k % 2 == 0:
            v *= 2
            v = v - 9 if v > 9 else v
        s += v
    items.append({"eid": eid, "iccid": ib + str((10 - s % 10) % 10), "model": "SParkometer"})
json.dump({"operation": "create", "owner": owner, "mno": mno, "items": items}, sys.stdout)
PY
START=$(date +%s.%N)
JOB=$(curl -sf -H "Authorization: Bearer $ASP_TOKEN" -H 'Content-Type: application/json' --data-binary @"$WORK/job.json" $URL/v1/jobs | json id)
while true; do
    STATUS=$(curl -sf -H "Authorization: Bearer $ASP_TOKEN" $URL/v1/jobs/$JOB)
    [ "$(echo "$STATUS" | json status)" = completed ] && break
    sleep 0.2
done
BULK_S=$(python3 -c "import time; print(time.time() - $START)")
SUCCEEDED=$(echo "$STATUS" | json succeeded)
BULK_RATE=$(python3 -c "print($SUCCEEDED / $BULK_S)")

printf '\n%-44s %12s %14s %8s\n' "measure" "ours/s" "sqlite3 raw/s" "ratio"
printf '%-44s %12.0f %14.0f %8.3f\n' "creates over HTTP (${CONNECTIONS} connections)" "$HTTP_RATE" "$RAW_RATE" \
    "$(python3 -c "print($HTTP_RATE / $RAW_RATE)")"
printf '%-44s %12.0f %14.0f %8.3f\n' "creates in one bulk job ($SUCCEEDED devices)" "$BULK_RATE" "$RAW_RATE" \
    "$(python3 -c "print($BULK_RATE / $RAW_RATE)")"
printf 'bulk job of %s devices took %.1f s (aim: 1,000,000 in < 60 s); HTTP aim >= 5,000/s\n' "$SUCCEEDED" "$BULK_S"
printf 'each create also writes an audit entry (hash-chained) and an outbox event in the same transaction\n'
