#!/usr/bin/env bash
# Poll latency of a polling channel holding 10,000 queued notifications (issue #15: a pcu poll under 50 ms); see
# BENCHMARKS.md ("Polling channel").
#   scripts/bench-pcu.sh                        # 10,000 queued, 500 polls, then one rqag poll of 1,000
#   QUEUED=10000 POLLS=1000 NO_BUILD=1 scripts/bench-pcu.sh
# The Silo (memory storage) runs on CPU $SERVER_CPU, the Python driver (scripts/bench/pcu.py) on $CLIENT_CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-pcu}
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
trap stop_started EXIT
trap 'exit 130' INT TERM

release_copy "$OUT" Silo
CSE_PORT=$(free_port)
SILO_WRAP="taskset -c $SERVER_CPU" start_silo "$OUT/bin/silo" "$OUT/silo.log" "http://127.0.0.1:$CSE_PORT" --Mqtt:Enabled false --Coap:Enabled false
log "load average before: $(load_average)"
taskset -c "$CLIENT_CPU" python3 scripts/bench/pcu.py "$CSE_PORT" | tee "$OUT/summary.txt"
log "load average after: $(load_average); silo 'fail:' log entries: $(grep -c '^fail:' "$OUT/silo.log" || true)"
