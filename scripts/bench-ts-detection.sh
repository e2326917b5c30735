#!/usr/bin/env bash
# Silo CPU of timeSeries missing-data detection while nothing is missing (issue #15); see BENCHMARKS.md.
#   scripts/bench-ts-detection.sh                  # 10,000 series, pei 20 s; about 3 minutes with the build up to date
#   SERIES=20000 PEI=30 NO_BUILD=1 scripts/bench-ts-detection.sh
# The Silo (memory storage) runs on CPU $SERVER_CPU, the Python driver (scripts/bench/ts-detection.py) on $CLIENT_CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-ts-detection}
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
trap stop_started EXIT
trap 'exit 130' INT TERM

release_copy "$OUT" Silo
CSE_PORT=$(free_port)
SILO_WRAP="taskset -c $SERVER_CPU" start_silo "$OUT/bin/silo" "$OUT/silo.log" "http://127.0.0.1:$CSE_PORT" --Mqtt:Enabled false --Coap:Enabled false
log "load average before: $(load_average)"
taskset -c "$CLIENT_CPU" python3 scripts/bench/ts-detection.py "$CSE_PORT" "$SILO_PID" | tee "$OUT/summary.txt"
log "load average after: $(load_average); silo 'fail:' log entries: $(grep -c '^fail:' "$OUT/silo.log" || true)"
