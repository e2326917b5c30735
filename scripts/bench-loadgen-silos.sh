#!/usr/bin/env bash
# Silo CPU per request for 1, 2 and 3 silos on one machine (BENCHMARKS.md, "CPU per request, 1, 2 and 3 silos").
#
#   scripts/bench-loadgen-silos.sh                 # builds the Release output, then one run per silo count
#   NO_BUILD=1 SILOS="1 3" scripts/bench-loadgen-silos.sh
#
# For each count N it starts N silos from a private copy of the Release build: localhost clustering (the first
# silo is the primary, the others join it with Orleans:PrimarySiloPort), memory storage, each serving HTTP on its
# own port. Then the same LoadGen run against all N HTTP endpoints (--base lists them, so the connections are
# spread evenly) with --silo-pid listing every silo, so the CPU time is summed over the cluster; then it stops the
# silos. Ports from PORT_BASE (default 21600): HTTP PORT_BASE+i, silo +10+i, gateway +20+i, MQTT +30+i.
# Results: $OUT/silos-N.json and .out (default OUT=/tmp/virtualiot-bench-loadgen-silos).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

SILOS=${SILOS:-"1 2 3"}
PORT_BASE=${PORT_BASE:-21600}
DEVICES=${DEVICES:-20000}
INTERVAL=${INTERVAL:-10s}
DURATION=${DURATION:-60s}
OUT=${OUT:-/tmp/virtualiot-bench-loadgen-silos}
mkdir -p "$OUT"

release_copy "$OUT" Silo LoadGen
trap stop_started EXIT

for n in $SILOS; do
  bases=()
  for i in $(seq 0 $((n - 1))); do
    args=(--contentRoot "$OUT/bin/silo" --Urls "http://127.0.0.1:$((PORT_BASE + i))" --Orleans:SiloPort $((PORT_BASE + 10 + i))
      --Orleans:GatewayPort $((PORT_BASE + 20 + i)) --Mqtt:Port $((PORT_BASE + 30 + i)) --Coap:Enabled false
      --Storage:SharedMemory true)
    if [ "$i" -gt 0 ]; then
      args+=(--Orleans:PrimarySiloPort $((PORT_BASE + 10)))
    fi
    dotnet "$OUT/bin/silo/VirtualIoT.Silo.dll" "${args[@]}" > "$OUT/silos-$n-silo$i.log" 2>&1 &
    PIDS+=($!)
    bases+=("http://127.0.0.1:$((PORT_BASE + i))")
    wait_cse "silo $i" "${PIDS[-1]}" "$OUT/silos-$n-silo$i.log" "${bases[-1]}"
  done
  sleep 5 # membership settles: every silo sees the others before load starts
  pids=$(IFS=,; echo "${PIDS[*]}")
  base=$(IFS=,; echo "${bases[*]}")
  echo "== $n silo(s), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  dotnet "$OUT/bin/loadgen/VirtualIoT.LoadGen.dll" --base "$base" --silo-pid "$pids" --devices "$DEVICES" --interval "$INTERVAL" \
    --duration "$DURATION" --notify-port $((PORT_BASE + 40)) --no-live --results "$OUT/silos-$n.json" > "$OUT/silos-$n.out" 2>&1 || true
  grep -E "^phase|^cin-create|^server|^result" "$OUT/silos-$n.out" >&2 || true
  stop_started
done
