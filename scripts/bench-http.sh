#!/usr/bin/env bash
# HTTP benchmark of the CSE against a trivial Kestrel "ceiling" endpoint, on one machine, loopback only.
# See BENCHMARKS.md ("HTTP throughput") for what it measures and the recorded results.
#
#   scripts/bench-http.sh                 # 3 rounds of 5 s runs; about 2.5 minutes with the build up to date
#   RUNS=1 DURATION=5 scripts/bench-http.sh
#   NO_BUILD=1 scripts/bench-http.sh    # use the Release output already built
#   TSI=1 scripts/bench-http.sh          # also timeSeriesInstance create (tsi.lua) after cin in every round, with the
#                                        # ratio tsi/cin of each round (a timeSeries "ts", mni 10, under every AE)
#   AE=0 scripts/bench-http.sh           # without AE create (ae.lua: a new AE-ID per request) and AE delete
#                                        # (ae-delete.lua: deletes the AEs that AE create registered, oldest first,
#                                        # from a pool topped up by unrecorded AE create runs before each delete run),
#                                        # run by default after cin in every round, each with its ratio to the ceiling POST
#   CNT=0 scripts/bench-http.sh          # without container create (cnt.lua: a container under a benchmark AE, its
#                                        # name generated), run by default after AE create, with its ratio to the ceiling POST
#   STORAGE=postgres scripts/bench-http.sh  # the Silo on PostgreSQL storage (group commit) instead of the embedded
#                                        # default's memory storage: a throwaway PostgreSQL of this run, on CPU $CLIENT_CPU
#                                        # beside the load generator (a machine of 2 cores has no third for it)
#   FCNT=1 scripts/bench-http.sh         # also flexContainer update (fcnt.lua) after cin in every round, with the
#                                        # ratio fcnt/cin of each round (a flexContainer "fc", cod:tempe, mni 10, under every AE)
#
# Servers (the ceiling endpoint and the Silo) are pinned to CPU $SERVER_CPU, load generators to CPU $CLIENT_CPU.
# Each round runs, with wrk (closed loop, $CONNECTIONS connections):
#   ceiling POST (scripts/bench/cin.lua)   ceiling GET (scripts/bench/la.lua)
#   CSE contentInstance create (cin.lua)   CSE la retrieve (la.lua)
# Then, at half the median closed-loop rates, LoadGen's fixed-rate client (`VirtualIoT.LoadGen load`) measures
# latency from each request's intended send time (coordinated omission corrected): la, then cin. Beside each, the
# Silo's garbage collections during that run (System.Runtime's dotnet.gc.* counters on /metrics): how many of each
# generation, their total pause and its share of the run, so a tail can be told apart from GC pauses; and the client's
# own stalls (its GCs and their pause, the latest its pacer released a request) with the longest service time, so a
# tail made by the load generator can be told apart from the Silo's.
# Every response is checked (HTTP 201 + X-M2M-RSC 2001 for cin, 200 + 2000 for la, 200 + 2002 for AE delete); error
# counts are printed.
# Logs and raw output go to $OUT (default /tmp/virtualiot-bench-http/; not TestResults/, which test.sh wipes).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ROOT=$PWD

RUNS=${RUNS:-3}
DURATION=${DURATION:-5}            # seconds per closed-loop run
WARMUP=${WARMUP:-3}                # seconds of load before the first round: ceiling POST, ceiling GET (each)
LA_WARMUP=${LA_WARMUP:-5}          # seconds of la load before the first round
CIN_WARMUP=${CIN_WARMUP:-40}       # seconds of cin load before the first round, in 5 s steps (see BENCHMARKS.md:
                                   # under full load on one core the JIT's tier-up takes ~30-40 s on this path)
RATE_DURATION=${RATE_DURATION:-8}  # seconds per fixed-rate run (after 2 s unrecorded at the same rate)
AES=${AES:-1000}
CONNECTIONS=${CONNECTIONS:-32}
SILO_ARGS=${SILO_ARGS:-}           # extra Silo switches, e.g. "--OpenTelemetry:MetricsEnabled false"
WRK_THREADS=${WRK_THREADS:-1}      # one core for the load generator: one wrk thread
TSI=${TSI:-0}
AE=${AE:-1}
AE_WARMUP=${AE_WARMUP:-10}         # seconds of AE create load before the first round, in 5 s steps
CNT=${CNT:-1}
FCNT=${FCNT:-0}
STORAGE=${STORAGE:-memory}         # memory (the embedded default) or postgres
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-http}
# Targets of issue #18: cin create >= 33 % of the ceiling's POST rate, la retrieve >= 60 % of its GET rate, AE (and container) create
# >= 15 % of its POST rate, p99 under 5 ms at half the closed-loop rates.
CIN_TARGET=0.33
LA_TARGET=0.60
AE_TARGET=0.15
P99_LIMIT_MS=5

export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production

mkdir -p "$OUT"
rm -rf "$OUT"/*.log "$OUT"/*.txt
SILO_DIR=$OUT/bin/silo
LOADGEN=(dotnet "$OUT/bin/loadgen/VirtualIoT.LoadGen.dll")

require_wrk
enter_priority_cgroup   # as root, the high-share CPU cgroup (PRIORITY=0 to skip; see lib.sh)
if [ "$(nproc --all)" -lt 2 ]; then
  echo "needs 2 CPUs (server on CPU $SERVER_CPU, load generator on CPU $CLIENT_CPU)" >&2
  exit 1
fi

# Servers run as "${ON_SERVER_CPU[@]}" command, load generators as "${ON_CLIENT_CPU[@]}" command.
ON_SERVER_CPU=(taskset -c "$SERVER_CPU")
ON_CLIENT_CPU=(taskset -c "$CLIENT_CPU")

# ---- processes: started in the background, always stopped on exit ----------------------------------------------
stop_all() {
  stop_started
  if [ "$STORAGE" = postgres ]; then scripts/pg.sh stop >/dev/null 2>&1 || true; fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# CPU seconds (user + system) used so far by this shell's finished children: bash's `times`, second line. Run in
# this shell, not in $(...), whose fork has no children of its own; the result is left in CHILDREN_CPU.
children_cpu() {
  times >"$OUT/times.txt"
  CHILDREN_CPU=$(tail -1 "$OUT/times.txt" | tr 'ms' '  ' | awk '{ print $1 * 60 + $2 + $3 * 60 + $4 }')
}

# ---- build ----------------------------------------------------------------------------------------------------
release_copy "$OUT" Silo LoadGen

# ---- servers --------------------------------------------------------------------------------------------------
CEILING_PORT=$(free_port); CSE_PORT=$(free_port); SILO_PORT=$(free_port); GATEWAY_PORT=$(free_port)
CEILING=http://127.0.0.1:$CEILING_PORT
CSE=http://127.0.0.1:$CSE_PORT

log "starting ceiling server on $CEILING (CPU $SERVER_CPU)"
# Under the Silo's GC settings (server, concurrent), which LoadGen's own runtime configuration does not use.
DOTNET_gcServer=1 DOTNET_gcConcurrent=1 "${ON_SERVER_CPU[@]}" "${LOADGEN[@]}" ceiling --urls "$CEILING" >"$OUT/ceiling.log" 2>&1 &
CEILING_PID=$!
PIDS+=("$CEILING_PID")

STORAGE_ARGS=()
case "$STORAGE" in
  memory) ;;
  postgres)
    export VIRTUALIOT_PG_STATE=$OUT/pg
    log "starting PostgreSQL (CPU $CLIENT_CPU, beside the load generator)"
    PG=$("${ON_CLIENT_CPU[@]}" scripts/pg.sh start)
    STORAGE_ARGS=(--Storage:Provider postgres --Storage:ConnectionString "$PG") ;;
  *) echo "STORAGE must be memory or postgres, not '$STORAGE'" >&2; exit 2 ;;
esac

log "starting Silo on $CSE (CPU $SERVER_CPU; $STORAGE storage; silo port $SILO_PORT, gateway port $GATEWAY_PORT)"
# The dll directly (not dotnet run, whose PID is not the server's); --contentRoot so appsettings.json is read.
"${ON_SERVER_CPU[@]}" dotnet "$SILO_DIR/VirtualIoT.Silo.dll" --contentRoot "$SILO_DIR" --urls "$CSE" \
  --Orleans:SiloPort "$SILO_PORT" --Orleans:GatewayPort "$GATEWAY_PORT" "${STORAGE_ARGS[@]}" $SILO_ARGS >"$OUT/silo.log" 2>&1 &
SILO_PID=$!
PIDS+=("$SILO_PID")

wait_http ceiling "$CEILING_PID" "$OUT/ceiling.log" "$CEILING/"
wait_cse silo "$SILO_PID" "$OUT/silo.log" "$CSE"
log "servers ready"

log "setup: $AES AEs, each with container cnt (mni 10) and one contentInstance"
"${ON_CLIENT_CPU[@]}" timeout 120 "${LOADGEN[@]}" setup --base "$CSE" --aes "$AES" --mni 10 | tee "$OUT/setup.txt" >&2

if [ "$TSI" = 1 ]; then
  log "setup: a timeSeries ts (mni 10) under each of the $AES AEs"
  for i in $(seq 0 $((AES - 1))); do printf 'Cbench%04d\n' "$i"; done |
    "${ON_CLIENT_CPU[@]}" xargs -P 8 -I{} curl -sf -o /dev/null -X POST "$CSE/cse-in/{}" -H "X-M2M-Origin: {}" -H "X-M2M-RI: ts-{}" \
      -H "X-M2M-RVI: 3" -H "Content-Type: application/json;ty=29" -d '{"m2m:ts":{"rn":"ts","mni":10}}'
fi
if [ "$FCNT" = 1 ]; then
  log "setup: a flexContainer fc (cod:tempe, mni 10) under each of the $AES AEs"
  for i in $(seq 0 $((AES - 1))); do printf 'Cbench%04d\n' "$i"; done |
    "${ON_CLIENT_CPU[@]}" xargs -P 8 -I{} curl -sf -o /dev/null -X POST "$CSE/cse-in/{}" -H "X-M2M-Origin: {}" -H "X-M2M-RI: fc-{}" \
      -H "X-M2M-RVI: 3" -H "Content-Type: application/json;ty=28" \
      -d '{"cod:tempe":{"rn":"fc","cnd":"org.onem2m.common.moduleclass.temperature","curT0":20.0,"mni":10}}'
fi

# ---- closed-loop runs (wrk) -----------------------------------------------------------------------------------
RESULTS=$OUT/results.txt   # one line per run: name round rps p50 p99 errors server_cpu% wrk_cpu%
: >"$RESULTS"
ERRORS_TOTAL=0

# $1 = name, $2 = round, $3 = script, $4 = base URL, $5 = server pid, $6 = seconds; more arguments go to the script
# after the AE count and the run tag.
run_wrk() {
  local name=$1 round=$2 script=$3 url=$4 pid=$5 seconds=$6 before after file line errors cpu client_before client_cpu
  shift 6
  file=$OUT/$name-$round.txt
  before=$(cpu_ticks "$pid")
  children_cpu
  client_before=$CHILDREN_CPU
  "${ON_CLIENT_CPU[@]}" timeout $((seconds + 30)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s \
    -s "$ROOT/scripts/bench/$script" "$url" -- "$AES" "$name-$round-$$" "$@" >"$file" 2>&1 || true
  if ! after=$(cpu_ticks "$pid" 2>/dev/null); then
    echo "the server (pid $pid) is gone after $name round $round; see $OUT/*.log" >&2
    exit 1
  fi
  children_cpu
  client_cpu=$(awk -v a="$CHILDREN_CPU" -v b="$client_before" -v s="$seconds" 'BEGIN { printf "%.0f", 100 * (a - b) / s }')
  line=$(grep '^BENCH responses=' "$file" || true)
  if [ -z "$line" ]; then
    echo "wrk printed no result; see $file" >&2
    cat "$file" >&2
    exit 1
  fi
  errors=$(awk '{for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /^(bad_status|bad_rsc|socket_errors|timeouts)$/) n += kv[2] } } END { print n + 0 }' <<<"$line")
  cpu=$(awk -v t=$((after - before)) -v s="$seconds" 'BEGIN { printf "%.0f", t / s }')
  ERRORS_TOTAL=$((ERRORS_TOTAL + errors))
  if [ "$errors" != 0 ]; then
    log "$name round $round: $errors bad responses or socket errors: $line $(grep '^BENCH first_bad' "$file" || true)"
  fi
  if grep -q '^BENCH pool_exhausted' "$file"; then
    log "$name round $round: the pool of AEs to delete ran out before the end; its rate is not valid"
    ERRORS_TOTAL=$((ERRORS_TOTAL + 1))
  fi
  case "$round" in warmup*) return 0 ;; esac
  awk -v n="$name" -v r="$round" -v e="$errors" -v c="$cpu" -v cc="$client_cpu" \
    '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
     END { printf "%s %s %s %s %s %s %s %s\n", n, r, v["rps"], v["p50_ms"], v["p99_ms"], e, c, cc }' <<<"$line" >>"$RESULTS"
  local fields
  fields=($(tail -1 "$RESULTS"))
  log "$(printf '%-13s round %s: %9s req/s  p50 %7s ms  p99 %8s ms  errors %s  CPU server %s%% wrk %s%%' \
    "$name" "$round" "${fields[2]}" "${fields[3]}" "${fields[4]}" "$errors" "$cpu" "$client_cpu")"
}

# AE delete deletes the AEs that AE create registered, oldest first: AE_POOL lists them ("prefix:first:last,...",
# see ae-delete.lua). ae.lua's AE-IDs are C<tag>-<thread>-<n>, n counting the requests made; wrk makes the first
# (n = 1) without sending it, and the last $CONNECTIONS may have been in flight at the end (not answered, perhaps
# not created), so both are left out.
AE_POOL=""
if [ "$AE" = 1 ] && [ "$WRK_THREADS" != 1 ]; then
  log "AE delete needs WRK_THREADS=1 (ae-delete.lua deletes from one thread); not run"
fi
# $1 = name, $2 = round of an AE create run just done: adds its AEs to AE_POOL.
ae_created() {
  local responses last
  responses=$(grep -o 'BENCH responses=[0-9]*' "$OUT/$1-$2.txt" | cut -d= -f2)
  last=$((${responses:-0} - CONNECTIONS))
  if [ "$last" -ge 2 ]; then
    AE_POOL="${AE_POOL:+$AE_POOL,}C$1-$2-$$-0-:2:$last"
  fi
}
# The number of AEs a pool list ("prefix:first:last,...") names.
pool_size() { tr ',' '\n' <<<"$1" | awk -F: 'NF == 3 && $3 >= $2 { n += $3 - $2 + 1 } END { print n + 0 }'; }
# AE deletes per second of the last delete run (a lower bound, doubled, if its pool ran out), and AE creates per
# second of the last create run: how many AEs the next delete run may need.
AE_DELETE_RATE=0
AE_CREATE_RATE=0
# $1 = name, $2 = round of an AE create run just done: its rate.
ae_create_rate() {
  AE_CREATE_RATE=$(grep -o 'BENCH responses=[0-9]*' "$OUT/$1-$2.txt" | cut -d= -f2 | awk -v s="$3" '{ printf "%d", $1 / s }')
}
# $1 = round, $2 = seconds of the delete run to come: registers AEs for the pool (unrecorded runs of ae.lua, 5 s
# each, with their own run tag) until it holds half as much again as the run can delete at the last measured rate
# (before any delete run: at three times the create rate). Deletes do not wait on creates in the same run, so on a
# storage where deleting is faster than registering (PostgreSQL) the pool that the create runs leave is too small.
ae_pool_fill() {
  local rate=$AE_DELETE_RATE need step=0
  [ "$rate" -gt 0 ] || rate=$((3 * AE_CREATE_RATE))
  need=$((rate * $2 * 3 / 2 + CONNECTIONS))
  while [ "$(pool_size "$AE_POOL")" -lt "$need" ]; do
    # Bounded: a CSE that stopped registering AEs must not hold the run (the delete run then reports the pool as run out).
    [ "$step" -lt 60 ] || break
    step=$((step + 1))
    run_wrk cse-aepool "warmup-$1-$step" ae.lua "$CSE" "$SILO_PID" 5
    ae_created cse-aepool "warmup-$1-$step"
  done
  if [ "$step" -gt 0 ]; then
    log "AE delete pool for round $1: $(pool_size "$AE_POOL") AEs (wanted $need), after $step extra AE create run(s) of 5 s, not recorded"
  fi
}
# $1 = round: AE delete for $2 seconds from AE_POOL, which then keeps what is left.
ae_delete() {
  [ "$WRK_THREADS" = 1 ] || return 0
  local before
  ae_pool_fill "$1" "$2"
  before=$(pool_size "$AE_POOL")
  run_wrk cse-aedel "$1" ae-delete.lua "$CSE" "$SILO_PID" "$2" "$AE_POOL"
  AE_POOL=$(grep '^BENCH pool_left=' "$OUT/cse-aedel-$1.txt" | cut -d= -f2-)
  AE_DELETE_RATE=$(( (before - $(pool_size "$AE_POOL")) / $2 ))
  if grep -q '^BENCH pool_exhausted' "$OUT/cse-aedel-$1.txt"; then AE_DELETE_RATE=$((2 * AE_DELETE_RATE)); fi
}

LOAD_BEFORE=$(load_average)
log "warm-up (not recorded): ceiling ${WARMUP} s POST + ${WARMUP} s GET, CSE la ${LA_WARMUP} s, CSE cin ${CIN_WARMUP} s"
run_wrk ceiling-post warmup cin.lua "$CEILING" "$CEILING_PID" "$WARMUP"
run_wrk ceiling-get warmup la.lua "$CEILING" "$CEILING_PID" "$WARMUP"
run_wrk cse-la warmup la.lua "$CSE" "$SILO_PID" "$LA_WARMUP"
WARMUP_CURVE=""
for step in $(seq $(( (CIN_WARMUP + 4) / 5 ))); do
  run_wrk cse-cin warmup-$step cin.lua "$CSE" "$SILO_PID" 5
  WARMUP_CURVE="$WARMUP_CURVE $(grep -o 'rps=[0-9]*' "$OUT/cse-cin-warmup-$step.txt" | cut -d= -f2)"
done
log "cin warm-up, req/s per 5 s step:$WARMUP_CURVE"
if [ "$AE" = 1 ]; then
  for step in $(seq $(( (AE_WARMUP + 4) / 5 ))); do
    run_wrk cse-ae warmup-$step ae.lua "$CSE" "$SILO_PID" 5
    ae_created cse-ae warmup-$step
    ae_create_rate cse-ae warmup-$step 5
  done
  # Half as long as the creates before it, so that the rounds start with AEs to spare.
  for step in $(seq $(( (AE_WARMUP + 9) / 10 ))); do
    ae_delete warmup-$step 5
  done
fi
if [ "$CNT" = 1 ]; then
  for step in $(seq $(( (AE_WARMUP + 4) / 5 ))); do
    run_wrk cse-cnt warmup-$step cnt.lua "$CSE" "$SILO_PID" 5
  done
fi
if [ "$TSI" = 1 ]; then
  for step in $(seq $(( (CIN_WARMUP + 4) / 5 ))); do
    run_wrk cse-tsi warmup-$step tsi.lua "$CSE" "$SILO_PID" 5
  done
fi
if [ "$FCNT" = 1 ]; then
  for step in $(seq $(( (CIN_WARMUP + 4) / 5 ))); do
    run_wrk cse-fcnt warmup-$step fcnt.lua "$CSE" "$SILO_PID" 5
  done
fi

# Rounds interleave the ceiling and the CSE so that both see the same machine noise; the idle server of the pair
# stays up on the same CPU (it uses next to nothing while idle).
for round in $(seq "$RUNS"); do
  run_wrk ceiling-post "$round" cin.lua "$CEILING" "$CEILING_PID" "$DURATION"
  run_wrk cse-cin "$round" cin.lua "$CSE" "$SILO_PID" "$DURATION"
  if [ "$AE" = 1 ]; then
    run_wrk cse-ae "$round" ae.lua "$CSE" "$SILO_PID" "$DURATION"
    ae_created cse-ae "$round"
    ae_create_rate cse-ae "$round" "$DURATION"
    ae_delete "$round" "$DURATION"
  fi
  if [ "$CNT" = 1 ]; then
    run_wrk cse-cnt "$round" cnt.lua "$CSE" "$SILO_PID" "$DURATION"
  fi
  if [ "$TSI" = 1 ]; then
    run_wrk cse-tsi "$round" tsi.lua "$CSE" "$SILO_PID" "$DURATION"
  fi
  if [ "$FCNT" = 1 ]; then
    run_wrk cse-fcnt "$round" fcnt.lua "$CSE" "$SILO_PID" "$DURATION"
  fi
  run_wrk ceiling-get "$round" la.lua "$CEILING" "$CEILING_PID" "$DURATION"
  run_wrk cse-la "$round" la.lua "$CSE" "$SILO_PID" "$DURATION"
done

median() { awk -v n="$1" '$1 == n { print $3 }' "$RESULTS" | median_of; }
# Requests per second of server CPU time: rps / (server CPU share); less sensitive to CPU taken by other processes.
median_per_cpu() { awk -v n="$1" '$1 == n && $7 > 0 { print $3 * 100 / $7 }' "$RESULTS" | median_of; }
# Median over rounds of the ratio measured within one round (the two runs of a round are seconds apart).
median_ratio() {
  awk -v a="$1" -v b="$2" '$1 == a { x[$2] = $3 } $1 == b { y[$2] = $3 } END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$RESULTS" | median_of
}
CEIL_POST=$(median ceiling-post); CEIL_GET=$(median ceiling-get); CIN=$(median cse-cin); LA=$(median cse-la)

# ---- fixed-rate runs (own client, coordinated omission corrected) ---------------------------------------------
# The Silo's garbage collections so far, from System.Runtime's counters on /metrics: "gen0 gen1 gen2 pause_seconds"
# (collections of each generation, a gen1 collection counted under gen1 only; total pause time).
gc_counts() {
  curl -sf "$CSE/metrics" | awk '
    /^dotnet_gc_collections_total\{/ { for (g = 0; g <= 2; g++) if ($0 ~ "gen" g "\"") n[g] += $NF }
    /^dotnet_gc_pause_time_seconds_total[ {]/ { p = $NF }
    END { printf "%d %d %d %.6f\n", n[0], n[1], n[2], p }'
}
# "gen0/gen1/gen2 collections, pause ms total (share of the time), mean pause ms" between $GC_BEFORE (taken at
# $GC_T0) and now: the fixed-rate run with its unrecorded first seconds and the client's start.
gc_during() {
  local after
  after=$(gc_counts)
  awk -v a="$GC_BEFORE" -v b="$after" -v s="$(awk -v t="$GC_T0" -v u="$(date +%s.%N)" 'BEGIN { print u - t }')" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    n = (y[1] - x[1]) + (y[2] - x[2]) + (y[3] - x[3]); p = 1000 * (y[4] - x[4])
    m = 0; if (n > 0) m = p / n   # not in printf: there awk reads a ">" as a redirection to a file named "0"
    printf "%d/%d/%d, %.0f ms (%.1f %%), mean %.1f ms", y[1] - x[1], y[2] - x[2], y[3] - x[3], p, p / (10 * s), m }'
}

# $1 = op, $2 = rate
run_rate() {
  local op=$1 rate=$2 file=$OUT/rate-$1.txt
  GC_BEFORE=$(gc_counts)
  GC_T0=$(date +%s.%N)
  "${ON_CLIENT_CPU[@]}" timeout $((RATE_DURATION + 60)) "${LOADGEN[@]}" load --base "$CSE" --op "$op" --aes "$AES" \
    --connections "$CONNECTIONS" --rate "$rate" --duration "$RATE_DURATION" --warmup 2 >"$file" 2>&1 || true
  grep '^LOAD' "$file" >&2 || { cat "$file" >&2; exit 1; }
  gc_during >"$OUT/gc-$op.txt"
  grep '^LOAD op=' "$file"
}
LA_RATE=$(awk -v r="$LA" 'BEGIN { printf "%d", r / 2 }')
CIN_RATE=$(awk -v r="$CIN" 'BEGIN { printf "%d", r / 2 }')
log "fixed rate: la at $LA_RATE/s, cin at $CIN_RATE/s, ${RATE_DURATION} s each"
RATE_LA=$(run_rate la "$LA_RATE")
RATE_CIN=$(run_rate cin "$CIN_RATE")
[ -n "$RATE_LA" ] && [ -n "$RATE_CIN" ] || { echo "a fixed-rate run printed no result; see $OUT/rate-*.txt" >&2; exit 1; }
LOAD_AFTER=$(load_average)

field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
for r in "$RATE_LA" "$RATE_CIN"; do
  e=$(( $(field "$r" bad_status) + $(field "$r" bad_rsc) + $(field "$r" failed) ))
  ERRORS_TOTAL=$((ERRORS_TOTAL + e))
done
SILO_FAILS=$(grep -c '^fail:' "$OUT/silo.log" || true)
if ! kill -0 "$SILO_PID" 2>/dev/null; then
  # Seen on the shared machine: another session's name-based kill stopped the Silo ("Application is shutting down").
  log "WARNING: the Silo was no longer running at the end; the fixed-rate results are not valid. Tail of silo.log:"
  tail -5 "$OUT/silo.log" >&2
fi
SILO_RSS_MB=$(awk '/VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$SILO_PID/status" 2>/dev/null || echo "?")

stop_all

# ---- summary --------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f %%", 100 * a / b }'; }
verdict() { awk -v a="$1" -v t="$2" 'BEGIN { print (a >= t) ? "met" : "NOT met" }'; }
p99ok() { awk -v p="$1" -v l="$P99_LIMIT_MS" 'BEGIN { print (p < l) ? "met" : "NOT met" }'; }

{
  echo
  echo "=== HTTP benchmark: $RUNS round(s) x ${DURATION} s, $CONNECTIONS connections, wrk -t$WRK_THREADS, $AES AEs; servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU; $STORAGE storage"
  echo "    load average before / after: $LOAD_BEFORE / $LOAD_AFTER   ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc --all) CPUs)"
  echo "    CSE cin warm-up, req/s per 5 s step:$WARMUP_CURVE"
  echo
  echo "per run (req/s, wrk p50/p99 ms [closed loop], errors, CPU % of one core used by the server and by wrk):"
  awk '{ printf "  %-13s round %s  %9.0f req/s  p50 %7.2f  p99 %8.2f  errors %s  cpu server %s%% wrk %s%%\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$RESULTS"
  echo
  pct() { awk -v r="$1" 'BEGIN { printf "%.0f %%", 100 * r }'; }
  echo "| measure (median of $RUNS rounds) | req/s | ratio to ceiling POST (median of per-round ratios) | ratio to ceiling GET (same) | req per server CPU-second | ratio of that to ceiling POST / GET |"
  echo "|---|---|---|---|---|---|"
  printf '| ceiling: trivial Kestrel POST | %.0f | | | %.0f | |\n' "$CEIL_POST" "$(median_per_cpu ceiling-post)"
  printf '| ceiling: trivial Kestrel GET | %.0f | | | %.0f | |\n' "$CEIL_GET" "$(median_per_cpu ceiling-get)"
  printf '| CSE contentInstance create | %.0f | %s | | %.0f | %s |\n' "$CIN" "$(pct "$(median_ratio cse-cin ceiling-post)")" \
    "$(median_per_cpu cse-cin)" "$(ratio "$(median_per_cpu cse-cin)" "$(median_per_cpu ceiling-post)")"
  printf '| CSE la retrieve | %.0f | %s | %s | %.0f | %s / %s |\n' "$LA" "$(pct "$(median_ratio cse-la ceiling-post)")" \
    "$(pct "$(median_ratio cse-la ceiling-get)")" "$(median_per_cpu cse-la)" \
    "$(ratio "$(median_per_cpu cse-la)" "$(median_per_cpu ceiling-post)")" "$(ratio "$(median_per_cpu cse-la)" "$(median_per_cpu ceiling-get)")"
  if [ "$AE" = 1 ]; then
    printf '| CSE AE create | %.0f | %s | | %.0f | %s |\n' "$(median cse-ae)" "$(pct "$(median_ratio cse-ae ceiling-post)")" \
      "$(median_per_cpu cse-ae)" "$(ratio "$(median_per_cpu cse-ae)" "$(median_per_cpu ceiling-post)")"
    if [ "$WRK_THREADS" = 1 ]; then
      printf '| CSE AE delete | %.0f | %s | | %.0f | %s |\n' "$(median cse-aedel)" "$(pct "$(median_ratio cse-aedel ceiling-post)")" \
        "$(median_per_cpu cse-aedel)" "$(ratio "$(median_per_cpu cse-aedel)" "$(median_per_cpu ceiling-post)")"
    fi
  fi
  if [ "$CNT" = 1 ]; then
    printf '| CSE container create | %.0f | %s | | %.0f | %s |\n' "$(median cse-cnt)" "$(pct "$(median_ratio cse-cnt ceiling-post)")" \
      "$(median_per_cpu cse-cnt)" "$(ratio "$(median_per_cpu cse-cnt)" "$(median_per_cpu ceiling-post)")"
  fi
  if [ "$TSI" = 1 ]; then
    printf '| CSE timeSeriesInstance create | %.0f | tsi / cin of the same round: %s | | %.0f | tsi / cin: %s |\n' "$(median cse-tsi)" \
      "$(pct "$(median_ratio cse-tsi cse-cin)")" "$(median_per_cpu cse-tsi)" "$(ratio "$(median_per_cpu cse-tsi)" "$(median_per_cpu cse-cin)")"
  fi
  if [ "$FCNT" = 1 ]; then
    printf '| CSE flexContainer update (mni 10) | %.0f | fcnt / cin of the same round: %s | | %.0f | fcnt / cin: %s |\n' "$(median cse-fcnt)" \
      "$(pct "$(median_ratio cse-fcnt cse-cin)")" "$(median_per_cpu cse-fcnt)" "$(ratio "$(median_per_cpu cse-fcnt)" "$(median_per_cpu cse-cin)")"
  fi
  echo
  echo "| fixed rate (latency from intended send time) | rate req/s | achieved | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | send delay p50 / p99 ms | client CPU | Silo GCs gen0/1/2, pause (share), mean | longest service ms | client GCs gen0/1/2, pause ms; pacer late at most ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for r in "$RATE_LA" "$RATE_CIN"; do
    printf '| %s at half its closed-loop rate | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s %% | %s | %s | %s, %s; %s |\n' "$(field "$r" op)" "$(field "$r" target_rate)" \
      "$(field "$r" rps)" "$(field "$r" p50_ms)" "$(field "$r" p90_ms)" "$(field "$r" p99_ms)" "$(field "$r" p999_ms)" "$(field "$r" max_ms)" \
      "$(field "$r" send_delay_p50_ms)" "$(field "$r" send_delay_p99_ms)" "$(field "$r" client_cpu_pct)" "$(cat "$OUT/gc-$(field "$r" op).txt" 2>/dev/null)" \
      "$(field "$r" service_max_ms)" "$(field "$r" client_gcs)" "$(field "$r" client_gc_pause_ms)" "$(field "$r" pacer_late_max_ms)"
  done
  echo
  CIN_RATIO=$(median_ratio cse-cin ceiling-post); LA_RATIO=$(median_ratio cse-la ceiling-get)
  AE_VERDICT=""
  if [ "$AE" = 1 ]; then
    AE_VERDICT="  AE >= $(pct "$AE_TARGET") of ceiling POST: $(verdict "$(median_ratio cse-ae ceiling-post)" "$AE_TARGET");"
    if [ "$WRK_THREADS" = 1 ]; then
      AE_VERDICT="$AE_VERDICT  AE delete >= $(pct "$AE_TARGET") of ceiling POST: $(verdict "$(median_ratio cse-aedel ceiling-post)" "$AE_TARGET");"
    fi
  fi
  if [ "$CNT" = 1 ]; then
    AE_VERDICT="$AE_VERDICT  container >= $(pct "$AE_TARGET") of ceiling POST: $(verdict "$(median_ratio cse-cnt ceiling-post)" "$AE_TARGET");"
  fi
  echo "target: cin >= $(pct "$CIN_TARGET") of ceiling POST: $(verdict "$CIN_RATIO" "$CIN_TARGET");  la >= $(pct "$LA_TARGET") of ceiling GET: $(verdict "$LA_RATIO" "$LA_TARGET");$AE_VERDICT" \
    "la p99 < ${P99_LIMIT_MS} ms at half rate: $(p99ok "$(field "$RATE_LA" p99_ms)");  cin p99 < ${P99_LIMIT_MS} ms at half rate: $(p99ok "$(field "$RATE_CIN" p99_ms)")"
  echo "bad responses / socket errors over all runs (warm-up included): $ERRORS_TOTAL;  'fail:' entries in the Silo log: $SILO_FAILS;  Silo RSS at the end: ${SILO_RSS_MB} MB"
  echo "raw output: $OUT   total time: ${SECONDS} s"
} | tee "$OUT/summary.txt"
