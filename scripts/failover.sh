#!/usr/bin/env bash
# Failover measurement (BENCHMARKS.md, "Failover time when a silo is killed"): SIGKILL one of $SILOS silo processes on PostgreSQL membership
# and storage, and time how long the resources it hosted fail before the survivors serve them.
#
#   scripts/failover.sh                                   # 3 silos, the platform's failure-detection defaults
#   SILOS=2 scripts/failover.sh
#   SILO_ARGS="--Clustering:ProbeTimeout 00:00:05 --Clustering:MinProbeTimeout 00:00:02.5 --Clustering:TableRefreshTimeout 00:01:00" \
#     scripts/failover.sh                                 # Orleans' own defaults, for comparison
#   SILO_ARGS="--Gateway:RetryBudget 00:00:00" scripts/failover.sh   # without the gateway's retries
#
# Steps: a throwaway PostgreSQL (scripts/pg.sh, own state folder), $SILOS silos from a private copy of the Release
# build (each serving HTTP), $CONTAINERS containers created (and so activated) through the last silo's HTTP
# endpoint, then `kill -9` of that silo while the first silo's HTTP endpoint is asked for every container in a
# loop (curl, 5 s timeout each). Prints: requests that failed (not 2000), the time from the kill to the last
# failure and to the first round in which every container answered, the slowest request, and when the
# membership table marked the silo dead (status 6). NO_BUILD=1 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
SILOS=${SILOS:-3}
CONTAINERS=${CONTAINERS:-40}
SILO_ARGS=${SILO_ARGS:-}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-failover}
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
source scripts/lib.sh

mkdir -p "$OUT"
rm -rf "$OUT"/*.log
export VIRTUALIOT_PG_STATE=$OUT/pg

cleanup() {
  stop_started
  scripts/pg.sh stop || true
}
trap cleanup EXIT

release_copy "$OUT" Silo

PG=$(scripts/pg.sh start)
PG_PORT=$(cat "$VIRTUALIOT_PG_STATE/port")
psql_q() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d virtualiot -qAt -c "$1"; }
log "PostgreSQL on port $PG_PORT"

HTTP=(); SILO_PORTS=()
for i in $(seq 1 "$SILOS"); do
  http=$(free_port); silo=$(free_port); gw=$(free_port)
  HTTP+=("http://127.0.0.1:$http"); SILO_PORTS+=("$silo")
  # shellcheck disable=SC2086
  (cd "$OUT/bin/silo" && exec dotnet VirtualIoT.Silo.dll --Urls "http://127.0.0.1:$http" --Orleans:SiloPort "$silo" \
    --Orleans:GatewayPort "$gw" --Clustering:Provider postgres --Clustering:ConnectionString "$PG" \
    --Storage:Provider postgres --Storage:ConnectionString "$PG" --Mqtt:Enabled false --Coap:Enabled false $SILO_ARGS) >"$OUT/silo$i.log" 2>&1 &
  PIDS+=($!)
done

H=(-H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: r' -H 'X-M2M-RVI: 3')
for i in $(seq 0 $((SILOS - 1))); do
  for _ in $(seq 300); do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "${HTTP[$i]}/cse-in" "${H[@]}" || true)
    [ "$code" = 200 ] && break
    kill -0 "${PIDS[$i]}" 2>/dev/null || { tail -20 "$OUT/silo$((i + 1)).log" >&2; exit 1; }
    sleep 0.2
  done
done
for _ in $(seq 100); do
  [ "$(psql_q 'select count(*) from orleansmembershiptable where status = 3')" = "$SILOS" ] && break
  sleep 0.2
done
log "$SILOS silos active: $(psql_q 'select string_agg(port::text, $$,$$) from orleansmembershiptable where status = 3')"

VICTIM=${HTTP[$((SILOS - 1))]}
SURVIVOR=${HTTP[0]}
AE=(-H 'X-M2M-Origin: Cfailover' -H 'X-M2M-RI: r' -H 'X-M2M-RVI: 3')
curl -sf -o /dev/null -X POST "$VICTIM/cse-in" "${AE[@]}" -H 'Content-Type: application/json;ty=2' \
  -d '{"m2m:ae":{"rn":"Cfailover","api":"Nfailover","rr":false,"srv":["3"]}}'
for c in $(seq 1 "$CONTAINERS"); do
  curl -sf -o /dev/null -X POST "$VICTIM/cse-in/Cfailover" "${AE[@]}" -H 'Content-Type: application/json;ty=3' \
    -d "{\"m2m:cnt\":{\"rn\":\"c$c\"}}"
  curl -sf -o /dev/null "$SURVIVOR/cse-in/Cfailover/c$c" "${AE[@]}"
done
log "$CONTAINERS containers created through the victim; every one read through the survivor"

now() { date +%s.%N; }
KILLED=$(now)
kill -KILL "${PIDS[$((SILOS - 1))]}"
log "kill -9 silo $SILOS (silo port ${SILO_PORTS[$((SILOS - 1))]})"

failed=0; requests=0; last_failure=""; all_ok_at=""; slowest=0; dead_at=""; clean_rounds=0
while true; do
  round_ok=1
  for c in $(seq 1 "$CONTAINERS"); do
    result=$(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' -D "$OUT/headers.txt" "$SURVIVOR/cse-in/Cfailover/c$c" "${AE[@]}" || true)
    requests=$((requests + 1))
    read -r code took <<<"$result"
    slowest=$(awk -v a="$slowest" -v b="${took:-0}" 'BEGIN { print (b > a) ? b : a }')
    rsc=$(tr -d '\r' <"$OUT/headers.txt" | awk -F': ' 'tolower($1) == "x-m2m-rsc" { print $2 }')
    if [ "$code" != 200 ] || [ "$rsc" != 2000 ]; then
      failed=$((failed + 1)); round_ok=0; last_failure=$(now)
      echo "$(awk -v a="$KILLED" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }') c$c HTTP $code RSC $rsc" >>"$OUT/failures.log"
    fi
  done
  if [ -z "$dead_at" ] && [ "$(psql_q "select count(*) from orleansmembershiptable where port = ${SILO_PORTS[$((SILOS - 1))]} and status = 6")" = 1 ]; then
    dead_at=$(now)
  fi
  if [ "$round_ok" = 1 ]; then
    [ -z "$all_ok_at" ] && all_ok_at=$(now)
    clean_rounds=$((clean_rounds + 1))
  else
    all_ok_at=""; clean_rounds=0
  fi
  [ "$clean_rounds" -ge 3 ] && [ -n "$dead_at" ] && break
  awk -v a="$KILLED" -v b="$(now)" 'BEGIN { exit !(b - a > 90) }' && { log "no recovery within 90 s"; break; }
done

since() { [ -n "$1" ] && awk -v a="$KILLED" -v b="$1" 'BEGIN { printf "%.2f s", b - a }' || echo "never"; }
echo "silos=$SILOS containers=$CONTAINERS SILO_ARGS='$SILO_ARGS'"
echo "requests=$requests failed=$failed slowest=${slowest}s"
echo "declared dead after:       $(since "$dead_at")"
echo "last failed request ended: $(since "$last_failure")"
echo "all containers answer at:  $(since "$all_ok_at") (first of 3 clean rounds)"
[ -f "$OUT/failures.log" ] && { echo "failures (s after kill, container, status):"; head -5 "$OUT/failures.log"; }
exit 0
