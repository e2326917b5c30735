#!/usr/bin/env bash
# contentInstance create over HTTP (JSON), CoAP (CBOR) and WebSocket (JSON), and MQTT (JSON) when asked, against one
# Silo, side by side in one run, with the same client (LoadGen's `load`, one connection = one request in flight, for
# each binding; over MQTT one connection per AE, a load connection sending for its AEs in turn).
# See BENCHMARKS.md ("Bindings side by side") for what it measures and the recorded results.
#
#   scripts/bench-bindings.sh                      # 3 rounds of 8 s per binding; about 3 minutes with the build up to date
#   RUNS=5 DURATION=10 scripts/bench-bindings.sh
#   BINDINGS="http coap:cbor coap:json ws:json ws:cbor" scripts/bench-bindings.sh   # binding:serialization pairs
#   BINDINGS="http mqtt" scripts/bench-bindings.sh   # issue #18: MQTT create per core against HTTP's (target >= 70 %)
#   NO_BUILD=1 scripts/bench-bindings.sh          # use the Release output already built
#
# The Silo (published build) is pinned to CPU $SERVER_CPU, the load generator to CPU $CLIENT_CPU. Each round runs every
# binding in turn (closed loop, $CONNECTIONS connections, each for its own share of $AES AEs), and reads the Silo's CPU
# time from /proc before and after each run: "per core" is requests per second of Silo CPU time, the figure least
# moved by the load generator's own speed and by other work on the machine. Every answer is checked (RSC 2001).
# Logs and raw output go to $OUT (default /tmp/virtualiot-bench-bindings/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

RUNS=${RUNS:-3}
DURATION=${DURATION:-8}      # seconds per measured run (after 1 s unrecorded)
WARMUP=${WARMUP:-10}         # seconds of load per binding before the first round
AES=${AES:-1000}
CONNECTIONS=${CONNECTIONS:-32}
BINDINGS=${BINDINGS:-"http coap:cbor ws:json"}
SILO_ARGS=${SILO_ARGS:-}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-bindings}

export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
mkdir -p "$OUT"
rm -rf "$OUT"/*.log "$OUT"/*.txt
LOADGEN=(dotnet "$OUT/bin/loadgen/VirtualIoT.LoadGen.dll")

enter_priority_cgroup
if [ "$(nproc --all)" -lt 2 ]; then
  echo "needs 2 CPUs (server on CPU $SERVER_CPU, load generator on CPU $CLIENT_CPU)" >&2
  exit 1
fi

trap stop_started EXIT
trap 'exit 130' INT TERM

# A UDP port nothing is bound to (free_port checks TCP only).
free_udp_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    if ! ss -Huln "sport = :${port}" | grep -q .; then
      echo "$port"
      return 0
    fi
  done
  echo "no free UDP port found" >&2
  return 1
}

release_copy "$OUT" Silo LoadGen

CSE_PORT=$(free_port); COAP_PORT=$(free_udp_port); MQTT_PORT=$(free_port)
CSE=http://127.0.0.1:$CSE_PORT
# The broker only when an MQTT run is asked for (an idle broker costs little, but nothing is better).
MQTT_ARGS=(--Mqtt:Enabled false)
case " $BINDINGS " in *" mqtt"*) MQTT_ARGS=(--Mqtt:Port "$MQTT_PORT") ;; esac
SILO_WRAP="taskset -c $SERVER_CPU" start_silo "$OUT/bin/silo" "$OUT/silo.log" "$CSE" --Coap:Port "$COAP_PORT" "${MQTT_ARGS[@]}" $SILO_ARGS
log "Silo ready (CoAP on UDP $COAP_PORT; ${MQTT_ARGS[*]})"

log "setup: $AES AEs, each with container cnt (mni 10) and one contentInstance"
taskset -c "$CLIENT_CPU" timeout 120 "${LOADGEN[@]}" setup --base "$CSE" --aes "$AES" --mni 10 | tee "$OUT/setup.txt" >&2

RESULTS=$OUT/results.txt   # one line per run: label round rps server_cpu% errors
: >"$RESULTS"
ERRORS_TOTAL=0

# $1 = binding:serialization, $2 = round, $3 = seconds
run_load() {
  local spec=$1 round=$2 seconds=$3 binding serialization file before after line errors cpu rps
  binding=${spec%%:*}
  serialization=${spec#*:}
  [ "$serialization" = "$spec" ] && serialization=json
  file=$OUT/$binding-$serialization-$round.txt
  before=$(cpu_ticks "$SILO_PID")
  taskset -c "$CLIENT_CPU" timeout $((seconds + 60)) "${LOADGEN[@]}" load --base "$CSE" --binding "$binding" \
    --serialization "$serialization" --coap-port "$COAP_PORT" --mqtt-port "$MQTT_PORT" --op cin --aes "$AES" --connections "$CONNECTIONS" \
    --duration "$seconds" --warmup 1 >"$file" 2>&1 || true
  if ! after=$(cpu_ticks "$SILO_PID" 2>/dev/null); then
    echo "the Silo is gone after $spec round $round; see $OUT/silo.log" >&2
    exit 1
  fi
  line=$(load_line "$file") || exit 1
  errors=$(load_errors "$line")
  ERRORS_TOTAL=$((ERRORS_TOTAL + errors))
  [ "$errors" = 0 ] || log "$spec round $round: $errors bad answers: $(grep '^LOAD first_bad' "$file" || true)"
  # The load runs 1 s unrecorded plus $seconds; the Silo's CPU is over the whole run.
  cpu=$(awk -v t=$((after - before)) -v s="$((seconds + 1))" 'BEGIN { printf "%.0f", t / s }')
  rps=$(load_field "$line" rps)
  case "$round" in warmup*) return 0 ;; esac
  echo "$binding:$serialization $round $rps $cpu $errors" >>"$RESULTS"
  log "$(printf '%-10s round %s: %9s req/s  Silo CPU %s%%  errors %s' "$binding:$serialization" "$round" "$rps" "$cpu" "$errors")"
}

LOAD_BEFORE=$(load_average)
log "warm-up (not recorded): ${WARMUP} s per binding"
for spec in $BINDINGS; do run_load "$spec" warmup "$WARMUP"; done
for round in $(seq "$RUNS"); do
  for spec in $BINDINGS; do run_load "$spec" "$round" "$DURATION"; done
done
LOAD_AFTER=$(load_average)
SILO_FAILS=$(grep -c '^fail:' "$OUT/silo.log" || true)
stop_started

label() { case "${1%%:*}" in http) echo "HTTP, JSON" ;; coap) echo "CoAP, ${1#*:}" ;; ws) echo "WebSocket, ${1#*:}" ;; mqtt) echo "MQTT, json" ;; esac; }
median() { awk -v n="$1" '$1 == n { print $3 }' "$RESULTS" | median_of; }
median_per_cpu() { awk -v n="$1" '$1 == n && $4 > 0 { print $3 * 100 / $4 }' "$RESULTS" | median_of; }
# Median over rounds of a ratio measured within one round; $3 = 3 (rate) or per-cpu.
median_ratio() {
  awk -v a="$1" -v b="$2" -v k="$3" '
    { v = (k == "cpu") ? ($4 > 0 ? $3 * 100 / $4 : 0) : $3 }
    $1 == a { x[$2] = v } $1 == b { y[$2] = v }
    END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$RESULTS" | median_of
}
pct() { awk -v r="$1" 'BEGIN { printf "%.0f %%", 100 * r }'; }
HTTP=$(awk '{ print $1 }' "$RESULTS" | grep -m1 '^http' || true)

{
  echo
  echo "=== bindings side by side: $RUNS round(s) x ${DURATION} s, $CONNECTIONS connections, $AES AEs; Silo on CPU $SERVER_CPU, LoadGen on CPU $CLIENT_CPU"
  echo "    load average before / after: $LOAD_BEFORE / $LOAD_AFTER   ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc --all) CPUs)"
  echo
  echo "per run (req/s, Silo CPU % of one core, errors):"
  awk '{ printf "  %-10s round %s  %9.0f req/s  Silo CPU %s%%  errors %s\n", $1, $2, $3, $4, $5 }' "$RESULTS"
  echo
  echo "| contentInstance create (median of $RUNS rounds) | req/s | ratio to HTTP (median of per-round ratios) | req per Silo CPU-second | ratio of that to HTTP |"
  echo "|---|---|---|---|---|"
  for spec in $BINDINGS; do
    [ "${spec%%:*}" = http ] && spec=$HTTP
    [ "${spec#*:}" = "$spec" ] && spec=$spec:json   # as run_load records a binding named without its serialization
    if [ "$spec" = "$HTTP" ]; then
      printf '| %s | %.0f | | %.0f | |\n' "$(label "$spec")" "$(median "$spec")" "$(median_per_cpu "$spec")"
    else
      printf '| %s | %.0f | %s | %.0f | %s |\n' "$(label "$spec")" "$(median "$spec")" "$(pct "$(median_ratio "$spec" "$HTTP" rate)")" \
        "$(median_per_cpu "$spec")" "$(pct "$(median_ratio "$spec" "$HTTP" cpu)")"
    fi
  done
  echo
  echo "targets: CoAP/CBOR >= 150 % of HTTP per core; WebSocket >= 100 % of HTTP; MQTT >= 70 % of HTTP per core"
  echo "bad answers over all runs (warm-up included): $ERRORS_TOTAL;  'fail:' entries in the Silo log: $SILO_FAILS"
  echo "raw output: $OUT   total time: ${SECONDS} s"
} | tee "$OUT/summary.txt"
