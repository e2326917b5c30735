#!/usr/bin/env bash
# Cost of a <crossResourceSubscription> over 100 targets to the contentInstance creates that feed it.
# See BENCHMARKS.md ("crossResourceSubscription over 100 targets").
#
#   scripts/bench-crs.sh                  # 3 rounds of 8 s + 8 s, about 2.5 minutes with the build up to date
#   NO_BUILD=1 RUNS=3 scripts/bench-crs.sh
#
# Setup: $AES AEs (LoadGen setup), each with a container cnt (mni 10); an HTTP receiver for the CRS's notifications.
# Each round, with wrk (closed loop, $CONNECTIONS connections, cin creates round robin over the containers):
#   plain: no subscription on the containers;
#   crs:   a crossResourceSubscription (CAdmin, under the CSEBase) with rrat = the $AES containers, encs net 3,
#          a periodic window of 1 s, eem 2 (a notification every window with events), nu = the receiver;
# the CRS is deleted (with its subscriptions) after the crs run. The figure is crs/plain per round (requests per
# second, and requests per server CPU-second); the target is crs >= 80 % of plain (adds < 20 %).
# The Silo runs on CPU $SERVER_CPU, wrk and the receiver on CPU $CLIENT_CPU. Output goes to $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ROOT=$PWD

RUNS=${RUNS:-3}
DURATION=${DURATION:-8}
CIN_WARMUP=${CIN_WARMUP:-20}
AES=${AES:-100}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-crs}

require_wrk
bench_setup Silo LoadGen   # as root, in the high-share CPU cgroup (PRIORITY=0 skips it; see lib.sh)
CSE=http://127.0.0.1:$(free_port)
RECEIVER_PORT=$(free_port)

taskset -c "$CLIENT_CPU" python3 scripts/notification-receiver.py --port "$RECEIVER_PORT" >"$OUT/receiver.log" 2>&1 &
PIDS+=("$!")
SILO_WRAP="taskset -c $SERVER_CPU" start_silo "$BIN/silo" "$OUT/silo.log" "$CSE"

log "setup: $AES AEs, each with container cnt (mni 10)"
taskset -c "$CLIENT_CPU" timeout 120 "${LOADGEN[@]}" setup --base "$CSE" --aes "$AES" --mni 10 >"$OUT/setup.txt"

# run NAME ROUND SECONDS: one wrk run of cin creates; appends "name round rps cpu%" to results.txt.
run() {
  local name=$1 round=$2 seconds=$3 before after file line
  file=$OUT/$name-$round.txt
  before=$(cpu_ticks "$SILO_PID")
  taskset -c "$CLIENT_CPU" timeout $((seconds + 30)) wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s \
    -s "$ROOT/scripts/bench/cin.lua" "$CSE" -- "$AES" "$name-$round-$$" >"$file" 2>&1 || true
  after=$(cpu_ticks "$SILO_PID")
  line=$(grep '^BENCH responses=' "$file") || { cat "$file" >&2; exit 1; }
  awk -v n="$name" -v r="$round" -v t=$((after - before)) -v s="$seconds" \
    '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
     END { printf "%s %s %s %.0f %d\n", n, r, v["rps"], t / s, v["bad_status"] + v["bad_rsc"] + v["socket_errors"] + v["timeouts"] }' \
    <<<"$line" >>"$OUT/results.txt"
  log "$(tail -1 "$OUT/results.txt")"
}

crs_body() {
  local targets
  targets=$(for i in $(seq 0 $((AES - 1))); do printf '"cse-in/Cbench%04d/cnt",' "$i"; done)
  printf '{"m2m:crs":{"rn":"bench","rrat":[%s],"encs":{"enc":[{"net":[3]}]},"twt":1,"tws":"PT1S","eem":2,"nu":["http://127.0.0.1:%s/n"]}}' \
    "${targets%,}" "$RECEIVER_PORT"
}

oneM2M() { curl -s -o "$OUT/last.json" -w '%{http_code}' -H 'X-M2M-Origin: CAdmin' -H "X-M2M-RI: crs-$RANDOM" -H 'X-M2M-RVI: 3' "$@"; }

log "warm-up: ${CIN_WARMUP} s of cin creates (not recorded)"
run warmup 0 "$CIN_WARMUP" && : >"$OUT/results.txt"
LOAD_BEFORE=$(load_average)
for round in $(seq 1 "$RUNS"); do
  run plain "$round" "$DURATION"
  code=$(oneM2M -X POST -H 'Content-Type: application/json;ty=48' -d "$(crs_body)" "$CSE/cse-in")
  [ "$code" = 201 ] || { echo "CRS create answered $code: $(cat "$OUT/last.json")" >&2; exit 1; }
  run crs "$round" "$DURATION"
  code=$(oneM2M -X DELETE "$CSE/cse-in/bench")
  [ "$code" = 200 ] || { echo "CRS delete answered $code: $(cat "$OUT/last.json")" >&2; exit 1; }
done
LOAD_AFTER=$(load_average)

echo "=== crossResourceSubscription over $AES targets: $RUNS round(s) x ${DURATION} s, $CONNECTIONS connections; load average before $LOAD_BEFORE, after $LOAD_AFTER"
awk '{ rps[$1, $2] = $3; cpu[$1, $2] = $4; errors += $5; rounds[$2] = 1 }
     END {
       for (r in rounds) {
         ratio = rps["crs", r] / rps["plain", r]
         per_cpu = (rps["crs", r] / cpu["crs", r]) / (rps["plain", r] / cpu["plain", r])
         printf "round %s: plain %.0f req/s (server CPU %d%%), crs %.0f req/s (server CPU %d%%): crs/plain %.0f %% of the rate, %.0f %% per server CPU-second\n",
           r, rps["plain", r], cpu["plain", r], rps["crs", r], cpu["crs", r], 100 * ratio, 100 * per_cpu
       }
       printf "bad responses: %d\n", errors
     }' "$OUT/results.txt" | sort
echo "notifications received by the CRS's receiver: $(grep -c '"sur"' "$OUT/receiver.log" || true)"
