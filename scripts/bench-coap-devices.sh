#!/usr/bin/env bash
# Idle CoAP devices: the Silo's memory before and after DEVICES devices (each its own UDP address and port) have each
# sent one confirmable request and fallen silent, with a full GC before every reading (LoadGen `coap-devices`).
# See BENCHMARKS.md ("Idle CoAP devices") for what it measures and the recorded results.
#
#   scripts/bench-coap-devices.sh                  # 50,000 devices in steps of 10,000 and 25,000; about 2 minutes
#   DEVICES=100000 STEPS=25000,50000 scripts/bench-coap-devices.sh
#   SILO_ARGS="--Coap:MaxExchanges 1024" scripts/bench-coap-devices.sh
#   NO_BUILD=1 scripts/bench-coap-devices.sh      # use the Release output already built
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

DEVICES=${DEVICES:-50000}
STEPS=${STEPS:-10000,25000}
SOURCES=${SOURCES:-8}
SILO_ARGS=${SILO_ARGS:-}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-coap-devices}

export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
mkdir -p "$OUT"
rm -rf "$OUT"/*.log "$OUT"/*.txt
LOADGEN=(dotnet "$OUT/bin/loadgen/VirtualIoT.LoadGen.dll")
enter_priority_cgroup
trap stop_started EXIT
trap 'exit 130' INT TERM

release_copy "$OUT" Silo LoadGen
CSE_PORT=$(free_port)
COAP_PORT=$(free_port)   # free as TCP; checked as UDP below
ss -Huln "sport = :${COAP_PORT}" | grep -q . && { echo "UDP port $COAP_PORT is taken; run again" >&2; exit 1; }
CSE=http://127.0.0.1:$CSE_PORT
start_silo "$OUT/bin/silo" "$OUT/silo.log" "$CSE" --Coap:Port "$COAP_PORT" --Mqtt:Enabled false $SILO_ARGS
log "Silo ready (CoAP on UDP $COAP_PORT); $DEVICES devices from $SOURCES source addresses"
LOAD_BEFORE=$(load_average)
"${LOADGEN[@]}" coap-devices --base "$CSE" --coap-port "$COAP_PORT" --server-pid "$SILO_PID" --devices "$DEVICES" \
  --steps "$STEPS" --sources "$SOURCES" | tee "$OUT/coap-devices.txt"
LOAD_AFTER=$(load_average)
{
  echo
  echo "=== idle CoAP devices: $DEVICES, one request each; $(date -u '+%Y-%m-%d %H:%M UTC'), load average $LOAD_BEFORE / $LOAD_AFTER"
  grep '^COAPDEV' "$OUT/coap-devices.txt"
  echo "'fail:' entries in the Silo log: $(grep -c '^fail:' "$OUT/silo.log" || true);  raw output: $OUT"
} | tee "$OUT/summary.txt"
