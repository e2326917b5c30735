#!/usr/bin/env bash
# Cost of originator authentication on the HTTP binding: the same Silo build three times side by side, all pinned
# to CPU $SERVER_CPU (an idle one uses next to nothing), loaded in turn by wrk on CPU $CLIENT_CPU:
#   off      the default: no authentication
#   on       Security:Authentication:Required=true, every request with HTTP Basic credentials (verified pairs cached)
#   nocache  as "on" with Security:Authentication:CacheDuration=0: PBKDF2 on every request (what the cache saves)
# Rounds interleave the configurations (la retrieve, then cin create, each $DURATION s), so all see the same noise.
# See BENCHMARKS.md ("Cost of originator authentication").
#
#   scripts/bench-auth.sh                      # RUNS=3 DURATION=5 AES=100; about 3 minutes
#   NO_BUILD=1 RUNS=1 DURATION=3 scripts/bench-auth.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ROOT=$PWD

RUNS=${RUNS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-20}               # seconds of la, then of cin, per configuration before the rounds
AES=${AES:-100}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-auth}
SECRET=bench-secret-0001           # every benchmark AE's secret (a benchmark, not a deployment)
ADMIN_SECRET=bench-admin-secret-01

require_wrk
ON_SERVER_CPU=(taskset -c "$SERVER_CPU")
ON_CLIENT_CPU=(taskset -c "$CLIENT_CPU")
bench_setup Silo LoadGen

# The AEs' bootstrap credentials, as an operator would pass them: in the environment.
AUTH_ENV=(Security__Authentication__Required=true "Security__Authentication__Credentials__CAdmin=$ADMIN_SECRET")
for i in $(seq 0 $((AES - 1))); do AUTH_ENV+=("$(printf 'Security__Authentication__Credentials__Cbench%04d=%s' "$i" "$SECRET")"); done

declare -A URL PID
# $1 = name, rest = extra environment
start_silo() {
  local name=$1 port; shift
  port=$(free_port)
  URL[$name]=http://127.0.0.1:$port
  env "$@" "${ON_SERVER_CPU[@]}" dotnet "$BIN/silo/VirtualIoT.Silo.dll" --contentRoot "$BIN/silo" --urls "${URL[$name]}" \
    --Orleans:SiloPort "$(free_port)" --Orleans:GatewayPort "$(free_port)" --Mqtt:Enabled false --Coap:Enabled false >"$OUT/silo-$name.log" 2>&1 &
  PID[$name]=$!
  PIDS+=("${PID[$name]}")
}
wait_ready() {
  wait_http "silo $1" "${PID[$1]}" "$OUT/silo-$1.log" -u "CAdmin:$ADMIN_SECRET" -H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: ready' \
    -H 'X-M2M-RVI: 3' "${URL[$1]}/cse-in"
}

log "starting three Silos (off, on, nocache) on CPU $SERVER_CPU"
start_silo off
start_silo on "${AUTH_ENV[@]}"
start_silo nocache "${AUTH_ENV[@]}" Security__Authentication__CacheDuration=00:00:00
for name in off on nocache; do wait_ready "$name"; done
for name in off on nocache; do
  secret=$([ "$name" = off ] && echo "" || echo "$SECRET")
  "${ON_CLIENT_CPU[@]}" timeout 300 "${LOADGEN[@]}" setup --base "${URL[$name]}" --aes "$AES" --mni 10 ${secret:+--secret "$secret"} \
    | tee "$OUT/setup-$name.txt" >&2
done

RESULTS=$OUT/results.txt
: >"$RESULTS"
# $1 = configuration, $2 = script, $3 = round, $4 = seconds
run_wrk() {
  local name=$1 script=$2 round=$3 seconds=$4 file line secret
  file=$OUT/$name-$script-$round.txt
  secret=$([ "$name" = off ] && echo "" || echo "$SECRET")
  "${ON_CLIENT_CPU[@]}" timeout $((seconds + 30)) wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s \
    -s "$ROOT/scripts/bench/$script" "${URL[$name]}" -- "$AES" "$name-$round-$$" cnt $secret >"$file" 2>&1 || true
  line=$(grep '^BENCH responses=' "$file" || { cat "$file" >&2; exit 1; })
  grep -q 'bad_status=0 bad_rsc=0 socket_errors=0' <<<"$line" || log "$name $script $round: errors: $line $(grep '^BENCH first_bad' "$file" || true)"
  case "$round" in warmup) return 0 ;; esac
  awk -v n="$name" -v s="${script%.lua}" -v r="$round" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
    END { printf "%s %s %s %s %s %s\n", n, s, r, v["rps"], v["p50_ms"], v["p99_ms"] }' <<<"$line" >>"$RESULTS"
  log "$(tail -1 "$RESULTS")"
}

LOAD_BEFORE=$(load_average)
log "warm-up: ${WARMUP} s la and ${WARMUP} s cin per configuration (nocache: 5 s la)"
for name in off on; do run_wrk "$name" la.lua warmup "$WARMUP"; run_wrk "$name" cin.lua warmup "$WARMUP"; done
run_wrk nocache la.lua warmup 5
sleep 3
for round in $(seq "$RUNS"); do
  for name in off on nocache; do
    run_wrk "$name" la.lua "$round" "$DURATION"
    run_wrk "$name" cin.lua "$round" "$DURATION"
  done
  # Requests wrk gave up on may still be hashing in the nocache Silo: let them drain before the next round.
  sleep 3
done
LOAD_AFTER=$(load_average)
median() { awk -v n="$1" -v s="$2" -v c="$3" '$1 == n && $2 == s { print $c }' "$RESULTS" | median_of; }
ratio() { awk -v a="$1" -v s="$2" '$1 == a && $2 == s { x[$3] = $4 } $1 == "off" && $2 == s { y[$3] = $4 } END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$RESULTS" | median_of; }
{
  echo "load average before: $LOAD_BEFORE   after: $LOAD_AFTER   (RUNS=$RUNS DURATION=$DURATION AES=$AES CONNECTIONS=$CONNECTIONS)"
  printf '%-8s %-4s %10s %9s %9s %12s\n' config op "req/s" "p50 ms" "p99 ms" "ratio to off"
  for name in off on nocache; do
    for op in la cin; do
      printf '%-8s %-4s %10s %9s %9s %12s\n' "$name" "$op" "$(median "$name" "$op" 4)" "$(median "$name" "$op" 5)" "$(median "$name" "$op" 6)" \
        "$([ "$name" = off ] && echo - || ratio "$name" "$op")"
    done
  done
} | tee "$OUT/summary.txt"
