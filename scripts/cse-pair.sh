#!/usr/bin/env bash
# Starts an IN-CSE and two MN-CSEs of VirtualIoT on loopback (docs/deployment.md), the MN-CSEs registered to the
# IN-CSE; stops them on Ctrl-C. With --check it shows the registrations and a request retargeted each way, then stops.
#   scripts/cse-pair.sh [--check]          NO_BUILD=1 to use the existing Release build
#   MQTT=1 scripts/cse-pair.sh [--check]   the MN-CSEs register over the IN-CSE's MQTT broker, and their points of
#                                          access are their own brokers: every request between the CSEs goes over MQTT
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1
OUT=${OUT:-/tmp/virtualiot-cse-pair}
trap stop_started EXIT
release_copy "$OUT" Silo
DIR="$OUT/bin/silo"

IN_PORT=$(free_port)
IN_URL="http://127.0.0.1:$IN_PORT"
# Each instance gets its own MQTT port and no CoAP (one UDP port per machine).
start_cse() {
  local name=$1 url=$2 base=$3 mqtt=$4
  shift 4
  log "starting $name on $url (MQTT broker on port $mqtt)"
  dotnet "$DIR/VirtualIoT.Silo.dll" --contentRoot "$DIR" --urls "$url" \
    --Orleans:SiloPort "$(free_port)" --Orleans:GatewayPort "$(free_port)" \
    --Mqtt:Port "$mqtt" --Coap:Enabled false "$@" >"$OUT/$name.log" 2>&1 &
  PIDS+=("$!")
  wait_http "$name" "$!" "$OUT/$name.log" -H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: ready' -H 'X-M2M-RVI: 3' "$url/$base"
}

IN_MQTT=$(free_port)
start_cse in "$IN_URL" cse-in "$IN_MQTT"
for n in 1 2; do
  port=$(free_port)
  mqtt=$(free_port)
  if [ "${MQTT:-0}" = 1 ]; then
    poa="mqtt://127.0.0.1:$mqtt" registrar="mqtt://127.0.0.1:$IN_MQTT"
  else
    poa="http://127.0.0.1:$port" registrar="$IN_URL"
  fi
  start_cse "mn$n" "http://127.0.0.1:$port" "cse-mn$n" "$mqtt" \
    --Cse:CseId "/id-mn$n" --Cse:CseBaseName "cse-mn$n" --Cse:Type MN \
    --Cse:PointsOfAccess:0 "$poa" \
    --Cse:RegistrarAddress "$registrar" --Cse:RegistrarCseId /id-in --Cse:RegistrarCseBaseName cse-in
  eval "MN${n}_URL=http://127.0.0.1:$port"
done

m2m() { curl -s -H "X-M2M-Origin: $1" -H "X-M2M-RI: r$RANDOM" -H 'X-M2M-RVI: 3' "${@:2}"; echo; }
for n in 1 2; do
  for _ in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: w' -H 'X-M2M-RVI: 3' "$IN_URL/cse-in/id-mn$n")
    [ "$code" = 200 ] && break
    sleep 0.2
  done
  log "id-mn$n at the IN-CSE: $(m2m CAdmin "$IN_URL/cse-in/id-mn$n")"
done

log "IN-CSE $IN_URL, MN-CSEs $MN1_URL (/id-mn1) and $MN2_URL (/id-mn2); logs in $OUT"
if [ "$CHECK" = 1 ]; then
  log "retargeted IN -> MN1: $(m2m /id-in "$IN_URL/~/id-mn1/cse-mn1/id-in")"
  log "retargeted MN2 -> IN: $(m2m /id-mn2 "$MN2_URL/~/id-in/cse-in/id-mn2")"
  exit 0
fi
log "Ctrl-C stops all three"
wait
