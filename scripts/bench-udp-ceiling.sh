#!/usr/bin/env bash
# What the transport allows: LoadGen's trivial Kestrel ceiling (HTTP POST) against its trivial UDP CoAP server (the
# same socket calls as the CSE's CoAP binding, no oneM2M work), one process on one CPU, requests per server
# CPU-second side by side in one run, with the same client as scripts/bench-bindings.sh (LoadGen `load --op cin`,
# one connection = one request in flight). Issue #20: is CoAP/CBOR >= 1.5x HTTP/JSON per core possible at all?
# See BENCHMARKS.md ("What UDP allows").
#
#   scripts/bench-udp-ceiling.sh                    # 3 rounds of 8 s per protocol
#   UDP_LOOPS=4 scripts/bench-udp-ceiling.sh        # the UDP server with 4 receive loops on its socket
#   NO_BUILD=1 RUNS=5 scripts/bench-udp-ceiling.sh
#
# The ceiling is pinned to CPU $SERVER_CPU, LoadGen to CPU $CLIENT_CPU; the server's CPU time is read from /proc
# before and after each run. Logs and raw output go to $OUT (default /tmp/virtualiot-bench-udp-ceiling/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

RUNS=${RUNS:-3}
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-5}
CONNECTIONS=${CONNECTIONS:-32}
UDP_LOOPS=${UDP_LOOPS:-1}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-udp-ceiling}

bench_setup LoadGen

HTTP_PORT=$(free_port)
UDP_PORT=$(free_port)   # TCP-free; a UDP bind failure shows in the ceiling's log
CEILING=http://127.0.0.1:$HTTP_PORT
log "starting the ceiling on $CEILING and UDP $UDP_PORT ($UDP_LOOPS receive loop(s), CPU $SERVER_CPU)"
DOTNET_gcServer=1 DOTNET_gcConcurrent=1 taskset -c "$SERVER_CPU" "${LOADGEN[@]}" ceiling --urls "$CEILING" \
  --coap-port "$UDP_PORT" --udp-loops "$UDP_LOOPS" >"$OUT/ceiling.log" 2>&1 &
CEILING_PID=$!
PIDS+=("$CEILING_PID")
wait_http ceiling "$CEILING_PID" "$OUT/ceiling.log" "$CEILING/"

RESULTS=$OUT/results.txt   # binding round rps server_cpu% errors user_ticks system_ticks
: >"$RESULTS"

# $1 = http | coap, $2 = round, $3 = seconds
run_load() {
  local binding=$1 round=$2 seconds=$3 file before after line errors cpu rps user0 system0 user1 system1
  file=$OUT/$binding-$round.txt
  read -r user0 system0 < <(awk '{ print $14, $15 }' "/proc/$CEILING_PID/stat")
  before=$((user0 + system0))
  taskset -c "$CLIENT_CPU" timeout $((seconds + 60)) "${LOADGEN[@]}" load --base "$CEILING" --binding "$binding" \
    --coap-port "$UDP_PORT" --op cin --aes 1000 --connections "$CONNECTIONS" --duration "$seconds" --warmup 1 >"$file" 2>&1 || true
  read -r user1 system1 < <(awk '{ print $14, $15 }' "/proc/$CEILING_PID/stat")
  after=$((user1 + system1))
  line=$(load_line "$file") || exit 1
  errors=$(load_errors "$line")
  cpu=$(awk -v t=$((after - before)) -v s="$((seconds + 1))" 'BEGIN { printf "%.0f", t / s }')
  rps=$(load_field "$line" rps)
  case "$round" in warmup*) return 0 ;; esac
  echo "$binding $round $rps $cpu $errors $((user1 - user0)) $((system1 - system0))" >>"$RESULTS"
  log "$(printf '%-5s round %s: %9s req/s  server CPU %s%%  errors %s' "$binding" "$round" "$rps" "$cpu" "$errors")"
}

LOAD_BEFORE=$(load_average)
for binding in http coap; do run_load "$binding" warmup "$WARMUP"; done
for round in $(seq "$RUNS"); do
  for binding in http coap; do run_load "$binding" "$round" "$DURATION"; done
done
LOAD_AFTER=$(load_average)
stop_started

# Microseconds of user ($2 = 6) or system ($2 = 7) CPU per request: ticks of 10 ms over the run (1 s unrecorded + DURATION).
per_request() { awk -v n="$1" -v k="$2" -v s="$((DURATION + 1))" '$1 == n && $3 > 0 { print $k * 10000 / ($3 * s) }' "$RESULTS" | median_of; }
per_cpu() { awk -v n="$1" '$1 == n && $4 > 0 { print $3 * 100 / $4 }' "$RESULTS" | median_of; }
rate() { awk -v n="$1" '$1 == n { print $3 }' "$RESULTS" | median_of; }
ratio() {
  awk -v k="$1" '{ v = (k == "cpu") ? ($4 > 0 ? $3 * 100 / $4 : 0) : $3 }
    $1 == "coap" { c[$2] = v } $1 == "http" { h[$2] = v }
    END { for (r in c) if (h[r] > 0) print c[r] / h[r] }' "$RESULTS" | median_of
}
{
  echo
  echo "=== trivial servers: $RUNS round(s) x ${DURATION} s, $CONNECTIONS connections; server on CPU $SERVER_CPU ($UDP_LOOPS UDP receive loop(s)), LoadGen on CPU $CLIENT_CPU"
  echo "    load average before / after: $LOAD_BEFORE / $LOAD_AFTER   ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc --all) CPUs)"
  echo
  awk '{ printf "  %-5s round %s  %9.0f req/s  server CPU %s%%  errors %s\n", $1, $2, $3, $4, $5 }' "$RESULTS"
  echo
  echo "| trivial server (median of $RUNS rounds) | req/s | req per server CPU-second | user µs per request | system µs per request |"
  echo "|---|---|---|---|---|"
  printf '| Kestrel, HTTP POST | %.0f | %.0f | %.1f | %.1f |\n' "$(rate http)" "$(per_cpu http)" "$(per_request http 6)" "$(per_request http 7)"
  printf '| UDP, CoAP CON/ACK (%s loop(s)) | %.0f | %.0f | %.1f | %.1f |\n' "$UDP_LOOPS" "$(rate coap)" "$(per_cpu coap)" "$(per_request coap 6)" "$(per_request coap 7)"
  echo
  printf 'UDP / Kestrel: %.2fx the rate, %.2fx per server CPU-second (medians of per-round ratios)\n' "$(ratio rate)" "$(ratio cpu)"
  echo "raw output: $OUT   total time: ${SECONDS} s"
} | tee "$OUT/summary.txt"
