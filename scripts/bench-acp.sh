#!/usr/bin/env bash
# What access control enforcement costs: contentInstance create and la retrieve by the same AEs on the same
# Silo, once on containers without acpi (the default owner rule) and once on containers linked to an
# accessControlPolicy that grants them CREATE+RETRIEVE (acor "Cbench*", evaluated from the silo's policy cache).
# See BENCHMARKS.md ("Access control enforcement cost") for the recorded results.
#
#   scripts/bench-acp.sh      # 3 rounds of 5 s per measure; about 2 minutes
#   RUNS=5 DURATION=5 NO_BUILD=1 scripts/bench-acp.sh
#
# Ports (override with PORT_BASE): HTTP PORT_BASE+80, silo PORT_BASE+11, gateway PORT_BASE+30; MQTT is off.
# The Silo is pinned to CPU $SERVER_CPU, wrk to CPU $CLIENT_CPU. Rounds interleave the two variants so that both
# see the same machine noise; the figure that matters is the median of the per-round ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

RUNS=${RUNS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-20}          # seconds of cin load per variant before the rounds (JIT tier-up, see bench-http.sh)
AES=${AES:-1000}
CONNECTIONS=${CONNECTIONS:-32}
PORT_BASE=${PORT_BASE:-20000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-acp}

require_wrk
bench_setup Silo LoadGen

CSE=http://127.0.0.1:$((PORT_BASE + 80))
log "starting Silo on $CSE (CPU $SERVER_CPU)"
taskset -c "$SERVER_CPU" dotnet "$BIN/silo/VirtualIoT.Silo.dll" --contentRoot "$BIN/silo" --urls "$CSE" \
  --Orleans:SiloPort $((PORT_BASE + 11)) --Orleans:GatewayPort $((PORT_BASE + 30)) --Mqtt:Enabled false --Coap:Enabled false >"$OUT/silo.log" 2>&1 &
SILO_PID=$!
PIDS+=("$SILO_PID")
wait_cse silo "$SILO_PID" "$OUT/silo.log" "$CSE"

log "creating the policy (CAdmin, under the CSEBase): pv acor [Cbench*] acop 3"
ACP=$(curl -s -X POST "$CSE/cse-in" -H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: acp' -H 'X-M2M-RVI: 3' \
  -H 'Content-Type: application/json;ty=1' \
  -d '{"m2m:acp":{"rn":"benchAcp","pv":{"acr":[{"acor":["Cbench*"],"acop":3}]},"pvs":{"acr":[{"acor":["CAdmin"],"acop":63}]}}}' \
  | grep -o '"ri":"acp[A-Za-z0-9]*"' | cut -d'"' -f4)
[ -n "$ACP" ] || { echo "creating the policy failed" >&2; exit 1; }
log "setup: $AES AEs, each with 'cnt' (no acpi) and 'cnta' (acpi [$ACP]), one contentInstance in each"
taskset -c "$CLIENT_CPU" timeout 180 "${LOADGEN[@]}" setup --base "$CSE" --aes "$AES" --mni 10 | tee "$OUT/setup.txt" >&2
taskset -c "$CLIENT_CPU" timeout 180 "${LOADGEN[@]}" setup --base "$CSE" --aes "$AES" --mni 10 --container cnta --acpi "$ACP" \
  | tee -a "$OUT/setup.txt" >&2

RESULTS=$OUT/results.txt
: >"$RESULTS"
ERRORS=0
# $1 = name, $2 = round, $3 = script, $4 = container, $5 = seconds
run() {
  local file=$OUT/$1-$2.txt line errors
  taskset -c "$CLIENT_CPU" timeout $(($5 + 30)) wrk -t1 -c"$CONNECTIONS" -d"$5s" --timeout 5s -s "scripts/bench/$3" "$CSE" \
    -- "$AES" "$1-$2-$$" "$4" >"$file" 2>&1 || true
  line=$(grep '^BENCH responses=' "$file") || { cat "$file" >&2; exit 1; }
  errors=$(awk '{for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /^(bad_status|bad_rsc|socket_errors|timeouts)$/) n += kv[2] } } END { print n + 0 }' <<<"$line")
  ERRORS=$((ERRORS + errors))
  case "$2" in warmup*) return 0 ;; esac
  awk -v n="$1" -v r="$2" -v e="$errors" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
    END { printf "%s %s %s %s %s %s\n", n, r, v["rps"], v["p50_ms"], v["p99_ms"], e }' <<<"$line" >>"$RESULTS"
  log "$(tail -1 "$RESULTS")"
}

LOAD_BEFORE=$(load_average)
log "warm-up: ${WARMUP} s cin and 5 s la per variant (not recorded)"
for step in $(seq $(( (WARMUP + 4) / 5 ))); do
  run cin-owner "warmup$step" cin.lua cnt 5
  run cin-acp "warmup$step" cin.lua cnta 5
done
run la-owner warmup la.lua cnt 5
run la-acp warmup la.lua cnta 5
for round in $(seq "$RUNS"); do
  run cin-owner "$round" cin.lua cnt "$DURATION"
  run cin-acp "$round" cin.lua cnta "$DURATION"
  run la-owner "$round" la.lua cnt "$DURATION"
  run la-acp "$round" la.lua cnta "$DURATION"
done
LOAD_AFTER=$(load_average)
stop_started

median() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$RESULTS" | median_of; }
ratio() { awk -v a="$1" -v b="$2" '$1 == a { x[$2] = $3 } $1 == b { y[$2] = $3 } END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$RESULTS" | median_of; }
{
  echo
  echo "=== access control cost: $RUNS round(s) x ${DURATION} s, wrk -t1 -c$CONNECTIONS, $AES AEs; Silo on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU"
  echo "    load average before / after: $LOAD_BEFORE / $LOAD_AFTER   ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  awk '{ printf "  %-10s round %s  %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  errors %s\n", $1, $2, $3, $4, $5, $6 }' "$RESULTS"
  echo
  echo "| measure (median of $RUNS rounds) | owner rule (no acpi) req/s | through the ACP req/s | ACP / owner (median of per-round ratios) | p50 ms owner / ACP | p99 ms owner / ACP |"
  echo "|---|---|---|---|---|---|"
  for op in cin la; do
    printf '| %s | %.0f | %.0f | %.1f %% | %s / %s | %s / %s |\n' "$op" "$(median "$op-owner" 3)" "$(median "$op-acp" 3)" \
      "$(awk -v r="$(ratio "$op-acp" "$op-owner")" 'BEGIN { print 100 * r }')" \
      "$(median "$op-owner" 4)" "$(median "$op-acp" 4)" "$(median "$op-owner" 5)" "$(median "$op-acp" 5)"
  done
  echo "bad responses / socket errors over all runs (warm-up included): $ERRORS;  raw output: $OUT"
} | tee "$OUT/summary.txt"
