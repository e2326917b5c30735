#!/usr/bin/env bash
# A retrieve retargeted through an IN-CSE to an MN-CSE against the same retrieve sent straight to the MN-CSE, in the
# same run (issue #21: at most one extra HTTP round trip); see BENCHMARKS.md ("Retargeting"). Starts an IN-CSE and an
# MN-CSE registered to it (HTTP, memory storage), then runs scripts/bench/retarget.py.
#   scripts/bench-retarget.sh                 ROUNDS=3 REQUESTS=2000 (per kind and round) NO_BUILD=1 to reuse the build
#   MQTT=1 scripts/bench-retarget.sh          the MN-CSE registered over MQTT: the hop IN -> MN goes over its broker
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-retarget}
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
trap stop_started EXIT
trap 'exit 130' INT TERM

release_copy "$OUT" Silo
IN_PORT=$(free_port); MN_PORT=$(free_port); IN_MQTT=$(free_port); MN_MQTT=$(free_port)
start_silo "$OUT/bin/silo" "$OUT/in.log" "http://127.0.0.1:$IN_PORT" --Mqtt:Port "$IN_MQTT" --Coap:Enabled false
if [ "${MQTT:-0}" = 1 ]; then
  MN_POA="mqtt://127.0.0.1:$MN_MQTT"; REGISTRAR="mqtt://127.0.0.1:$IN_MQTT"
else
  MN_POA="http://127.0.0.1:$MN_PORT"; REGISTRAR="http://127.0.0.1:$IN_PORT"
fi
log "starting the MN-CSE on http://127.0.0.1:$MN_PORT (poa $MN_POA, registrar $REGISTRAR)"
dotnet "$OUT/bin/silo/VirtualIoT.Silo.dll" --contentRoot "$OUT/bin/silo" --urls "http://127.0.0.1:$MN_PORT" \
  --Orleans:SiloPort "$(free_port)" --Orleans:GatewayPort "$(free_port)" --Mqtt:Port "$MN_MQTT" --Coap:Enabled false \
  --Cse:CseId /id-mn --Cse:CseBaseName cse-mn --Cse:Type MN --Cse:PointsOfAccess:0 "$MN_POA" \
  --Cse:RegistrarAddress "$REGISTRAR" --Cse:RegistrarCseId /id-in --Cse:RegistrationCheckInterval 00:00:01 >"$OUT/mn.log" 2>&1 &
PIDS+=("$!")
wait_http mn "$!" "$OUT/mn.log" -H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: ready' -H 'X-M2M-RVI: 3' "http://127.0.0.1:$MN_PORT/cse-mn"
wait_http registration "$SILO_PID" "$OUT/in.log" -H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: reg' -H 'X-M2M-RVI: 3' "http://127.0.0.1:$IN_PORT/cse-in/id-mn"
log "load average before: $(load_average)"
python3 scripts/bench/retarget.py "$IN_PORT" "$MN_PORT" | tee "$OUT/summary.txt"
log "load average after: $(load_average); 'fail:' log entries: IN $(grep -c '^fail:' "$OUT/in.log" || true), MN $(grep -c '^fail:' "$OUT/mn.log" || true)"
