#!/usr/bin/env bash
# Scale-out on one machine: 1, 2 and 3 silos, each held to the same share of one core, on PostgreSQL membership and
# storage. See BENCHMARKS.md ("Scale-out: one, two and three silos at the same CPU share each").
#
#   scripts/bench-scaleout.sh                        # N = 1, 2, 3; HTTP cin and la, MQTT cin; last line: the summary
#   QUOTA=25 SILOS="1 3" OPS="cin la" scripts/bench-scaleout.sh
#   MODE=live scripts/bench-scaleout.sh              # silos 2 and 3 added to a running cluster under load
#   MODE=live LIVE_PROTOCOL=mqtt scripts/bench-scaleout.sh   # the same with MQTT devices, moved by the brokers
#   MODE=paired OPS="la cin" scripts/bench-scaleout.sh   # 1 silo beside 3, measured in turns, medians of ROUNDS
#   MODE=idle SILO_ARGS="--Dashboard:Enabled false" scripts/bench-scaleout.sh   # fixed CPU cost per silo, 1 beside 3
#
# Needs root (a writable cgroup v1 cpu controller under /sys/fs/cgroup/cpu). Each silo runs in its own CPU cgroup
# with cpu.cfs_quota_us = QUOTA % of a core, all silos pinned to core $SILO_CPU; PostgreSQL (scripts/pg.sh, a
# throwaway server of this run) and the load generator run on core $LOAD_CPU. The whole benchmark sits in a parent
# cgroup with the highest cpu.shares, so other work on a shared machine does not take the silos' quota away.
#
# Steady mode, for each N: a fresh database, N silos (postgres clustering and group-commit storage), then $AES AEs
# with a container each, registered through the endpoints as real devices would (AE k through endpoint k mod N's
# block: endpoint i registers and then loads Cbench<i*AES/N>..), then per operation a warm-up and a measured
# closed-loop run with $CONNECTIONS connections split over the endpoints (LoadGen `load`, one client per endpoint).
# MQTT: LoadGen's device simulation with --protocol mqtt, device d on silo d mod N's broker, offered load above
# what the cluster carries (MQTT_DEVICES / MQTT_INTERVAL), so the completed rate is the capacity.
# Figures per run: throughput summed over the endpoints, silo CPU-µs per request (CPU time of every silo over the
# measured run / responses), and the locality share (requests served without a cross-silo grain hop, from each
# silo's virtualiot_requests_served_total). Ends with exactly one line:
#   scale-out: cin xA la xB mqtt xC (3 vs 1 silos, Q% of a core each)
#
# Paired mode: the one-silo and the three-silo cluster run side by side (silo 3 alone, silos 0..2 together) and are
# measured in turns, ROUNDS times, so that slow changes of the shared machine hit both alike; the summary's ratios are
# the medians of the rounds' ratios.
#
# Live mode: silo 0 alone under LoadGen's HTTP devices (open loop, LIVE_DEVICES / LIVE_INTERVAL creates/s, above one
# silo's capacity, --verify), which reach the silos through an endpoints file that LoadGen re-reads every second, as
# a load balancer re-reads its backends; silos 2 and 3 are started LIVE_ADD_AT s apart and each is added to the
# file once its CSE answers; then (LIVE_REMOVE=1) silo 3 leaves the file and gets a SIGTERM. LoadGen's 10 s lines show throughput, errors and p99; a table shows each silo's share of
# the served requests per 10 s; LoadGen's read-back then checks that no acknowledged write was lost or duplicated.
# LIVE_PROTOCOL=mqtt: MQTT devices instead, all connected to silo 0's broker at first; no load balancer: when a silo
# joins, the brokers send the devices whose rendezvous home it is there (DISCONNECT 0x9C with a server reference, which
# LoadGen's devices follow), and silo 3's broker sends its devices back before it stops on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

MODE=${MODE:-steady}
SILOS=${SILOS:-"1 2 3"}
OPS=${OPS:-"cin la mqtt"}
QUOTA=${QUOTA:-25}                     # % of one core per silo
SILO_CPU=${SILO_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
AES=${AES:-1500}                       # AEs (with a container each), split evenly over the endpoints
CONNECTIONS=${CONNECTIONS:-48}         # closed-loop HTTP connections, split evenly over the endpoints
WARMUP=${WARMUP:-180}                  # seconds of unrecorded load per operation and N: at 25 % of a core a silo needs
                                       # minutes to tier up its code; 20 s gave one silo half its steady rate, and after
                                       # 90 s two of three silos still compiled 70 methods/s (la cost them 141 against 86 µs)
DURATION=${DURATION:-15}               # seconds measured per operation and N
MQTT_DEVICES=${MQTT_DEVICES:-1500}     # MQTT devices (own AEs), one connection each
MQTT_INTERVAL=${MQTT_INTERVAL:-500ms}  # time between two creates of one MQTT device (offered: devices / interval)
LIVE_PROTOCOL=${LIVE_PROTOCOL:-http}   # live mode: the devices' binding, http (behind the endpoints file) or mqtt (brokers rebalance)
LIVE_DEVICES=${LIVE_DEVICES:-3000}     # live mode: devices (AE + container each)
LIVE_INTERVAL=${LIVE_INTERVAL:-5s}     # live mode: time between two creates of one device (offered: devices / interval)
LIVE_ADD_AT=${LIVE_ADD_AT:-45}         # live mode: seconds into the steady phase before silo 2 joins (silo 3 as much later)
LIVE_PG_POOL=${LIVE_PG_POOL:-40}       # live mode: Npgsql Maximum Pool Size per silo and pool (3 silos x pools < max_connections 200)
LIVE_REMOVE=${LIVE_REMOVE:-1}          # live mode: 1 = then silo 3 leaves the endpoints file and is stopped (SIGTERM)
LIVE_DURATION=${LIVE_DURATION:-5m}     # live mode: LoadGen's steady phase
COUNTERS=${COUNTERS:-0}                # 1 = dotnet-counters of every silo over each warm-up and measured run (counters-*.csv)
ROUNDS=${ROUNDS:-3}                    # paired mode: measured rounds (one run of each cluster per round)
IDLE=${IDLE:-30}                       # paired and idle modes: seconds without load, each silo's CPU then (its fixed cost)
IDLE_SETTLE=${IDLE_SETTLE:-60}         # idle mode: seconds between the clusters' start and the measurement
PROFILE=${PROFILE:-0}                  # 1 = perf record (call graphs, JIT symbols) of silos 0 and 3 over the idle measurement
SILO_ARGS=${SILO_ARGS:-}               # extra Silo switches, e.g. "--Dashboard:Enabled false"
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-scaleout}
CG=/sys/fs/cgroup/cpu/virtualiot-scaleout

export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
[ "${PROFILE:-0}" = 1 ] && export DOTNET_PerfMapEnabled=1   # JIT-compiled methods' names for perf
export VIRTUALIOT_PG_STATE=$OUT/pg

[ -w /sys/fs/cgroup/cpu ] || { echo "needs root and a cgroup v1 cpu controller at /sys/fs/cgroup/cpu" >&2; exit 1; }
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.txt

# ---- CPU cgroups -----------------------------------------------------------------------------------------------
mkdir -p "$CG" "$CG/load"
echo 262144 >"$CG/cpu.shares"
for i in 0 1 2 3; do
  mkdir -p "$CG/silo$i"
  echo 100000 >"$CG/silo$i/cpu.cfs_period_us"
  echo $((QUOTA * 1000)) >"$CG/silo$i/cpu.cfs_quota_us"
done
echo $$ >"$CG/load/cgroup.procs"   # this script and everything it starts: the load side
taskset -p -c "$LOAD_CPU" $$ >/dev/null

cleanup() {
  stop_started
  scripts/pg.sh stop >/dev/null 2>&1 || true
  echo $$ >/sys/fs/cgroup/cpu/cgroup.procs 2>/dev/null || true
  for d in "$CG"/silo0 "$CG"/silo1 "$CG"/silo2 "$CG"/silo3 "$CG"/load "$CG"; do rmdir "$d" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

release_copy "$OUT" Silo LoadGen
SILO_DLL=$OUT/bin/silo/VirtualIoT.Silo.dll
LOADGEN=(dotnet "$OUT/bin/loadgen/VirtualIoT.LoadGen.dll")

log "starting PostgreSQL (core $LOAD_CPU)"
start_bench_postgres

# start_silo I DB CLUSTER: silo I in cgroup silo<I> on core $SILO_CPU; leaves HTTP_<I>, MQTT_<I> and SILO_PID_<I>.
start_silo() {
  local i=$1 db=$2 cluster=$3 http mqtt pid
  http=$(free_port); mqtt=$(free_port)
  taskset -c "$SILO_CPU" dotnet "$SILO_DLL" --contentRoot "$OUT/bin/silo" --urls "http://127.0.0.1:$http" \
    --Orleans:SiloPort "$(free_port)" --Orleans:GatewayPort "$(free_port)" --Mqtt:Port "$mqtt" --Coap:Enabled false \
    --Clustering:Provider postgres --Clustering:ConnectionString "$db" --Clustering:ClusterId "$cluster" \
    --Storage:Provider postgres --Storage:ConnectionString "$db" \
    --Logging:LogLevel:Default Warning $SILO_ARGS >"$OUT/silo-$cluster-$i.log" 2>&1 &
  pid=$!
  echo "$pid" >"$CG/silo$i/cgroup.procs"
  PIDS+=("$pid")
  printf -v "HTTP_$i" '%s' "http://127.0.0.1:$http"
  printf -v "MQTT_$i" '%s' "$mqtt"
  printf -v "SILO_PID_$i" '%s' "$pid"
  wait_cse "silo $i" "$pid" "$OUT/silo-$cluster-$i.log" "http://127.0.0.1:$http"
}

# Silos N [B]: the indices of a cluster of N silos whose first is silo B (default 0): B..B+N-1. Paired mode runs the
# one-silo cluster as silo 3 beside the three-silo cluster's silos 0..2.
silos() { seq "${2:-0}" $((${2:-0} + $1 - 1)); }

# Sum over the N silos from B of: their CPU ticks (silo_cpu N [B]), or their served requests by locality
# (served N KIND [B], KIND "local" or "all").
silo_cpu() { local i t=0 p; for i in $(silos "$1" "${2:-0}"); do p=SILO_PID_$i; t=$((t + $(cpu_ticks "${!p}"))); done; echo "$t"; }
served() {
  local i u
  for i in $(silos "$1" "${3:-0}"); do u=HTTP_$i; curl -s -m 10 "${!u}/metrics" || true; done |
    awk -v k="$2" '/^virtualiot_requests_served_total\{/ { if (k == "all" || index($0, "locality=\"" k "\"")) s += $NF } END { printf "%.0f", s }'
}

RESULTS=$OUT/results.txt   # silos op requests/s silo-CPU-µs-per-request locality-% errors
: >"$RESULTS"
TICKS=$(getconf CLK_TCK)

# http_load N OP SECONDS TAG [B]: one closed-loop LoadGen load per endpoint of the N silos from B at once; prints
# "responses errors".
http_load() {
  local n=$1 op=$2 seconds=$3 tag=$4 b=${5:-0} i u per=$((AES / $1)) loads=()
  for i in $(seq 0 $((n - 1))); do
    u=HTTP_$((b + i))
    timeout $((seconds + 60)) "${LOADGEN[@]}" load --base "${!u}" --op "$op" --aes "$per" --first $((i * per)) \
      --connections $((CONNECTIONS / n)) --warmup 0 --duration "$seconds" >"$OUT/load-$n-$op-$tag-$i.txt" 2>&1 &
    loads+=("$!")
  done
  for i in "${loads[@]}"; do wait "$i" || true; done   # exit 2 on bad answers: counted below
  cat "$OUT"/load-"$n"-"$op"-"$tag"-*.txt | grep -h '^LOAD op=' | tr ' ' '\n' | awk -F= '
    $1 == "responses" { r += $2 } $1 == "bad_status" || $1 == "bad_rsc" || $1 == "failed" { e += $2 }
    END { printf "%d %d\n", r, e }'
}

# mqtt_load N SECONDS TAG: LoadGen's MQTT devices on the N brokers (registered first, over MQTT), then SECONDS of
# creates; prints "creates/s CPU-µs-per-create errors" of the steady phase (LoadGen's own figures, every silo's CPU).
mqtt_load() {
  local n=$1 seconds=$2 tag=$3 i u bases=() ports=() pids=()
  for i in $(seq 0 $((n - 1))); do
    u=HTTP_$i; bases+=("${!u}"); u=MQTT_$i; ports+=("${!u}"); u=SILO_PID_$i; pids+=("${!u}")
  done
  timeout $((seconds + 600)) "${LOADGEN[@]}" --protocol mqtt --base "$(IFS=,; echo "${bases[*]}")" \
    --mqtt-port "$(IFS=,; echo "${ports[*]}")" --silo-pid "$(IFS=,; echo "${pids[*]}")" --devices "$MQTT_DEVICES" \
    --interval "$MQTT_INTERVAL" --duration "${seconds}s" --prefix "Cmq$tag$n" --no-live --results "$OUT/mqtt-$n-$tag.json" \
    >"$OUT/mqtt-$n-$tag.txt" 2>&1 || true
  awk '$1 == "cin-create" { gsub(",", ""); rate = $3; errors = $4 + $5 + $6 }
    /^server per device:/ { for (i = 1; i <= NF; i++) if ($(i + 1) == "µs" && $(i + 3) == "steady") cpu = $i }
    END { printf "%.1f %s %d\n", rate, cpu == "" ? "0" : cpu, errors }' "$OUT/mqtt-$n-$tag.txt"
}

# per_silo_mark N / per_silo_report N OP: each silo's share of a measured HTTP run, to stderr: requests/s through its
# endpoint, CPU-µs per request it received, and its cgroup's CPU throttling (periods throttled, of the run's periods).
per_silo_mark() {
  local i p
  for i in $(silos "$1" "${2:-0}"); do
    p=SILO_PID_$i; printf -v "CPU_MARK_$i" '%s' "$(cpu_ticks "${!p}")"
    printf -v "THR_MARK_$i" '%s' "$(cgroup_stat "$i")"
  done
}
cgroup_stat() { awk '$1 == "nr_periods" { p = $2 } $1 == "nr_throttled" { t = $2 } END { print p + 0, t + 0 }' "$CG/silo$1/cpu.stat"; }
per_silo_report() {
  local i p m r t0 periods throttled b=${3:-0}
  for i in $(silos "$1" "$b"); do
    p=SILO_PID_$i; m=CPU_MARK_$i; t0=THR_MARK_$i
    r=$(grep -h '^LOAD op=' "$OUT/load-$1-$2-m-$((i - b)).txt" | tr ' ' '\n' | awk -F= '$1 == "responses" { print $2 }')
    read -r periods throttled <<<"$(cgroup_stat "$i" | awk -v b="${!t0}" 'BEGIN { split(b, x, " ") } { print $1 - x[1], $2 - x[2] }')"
    awk -v i="$i" -v r="${r:-0}" -v t=$(($(cpu_ticks "${!p}") - ${!m})) -v hz="$TICKS" -v d="$DURATION" -v pe="$periods" -v th="$throttled" \
      'BEGIN { printf "  silo %d: %.0f req/s, %.1f CPU-us per request, %.0f %% of a core, throttled in %d of %d periods\n", i, r / d, (r > 0 ? 1e6 * t / hz / r : 0), 100 * t / hz / d, th, pe }' >&2
  done
}

# counters_start N OP SECONDS TAG / counters_stop: dotnet-counters (COUNTERS=1; `dotnet tool install -g dotnet-counters`)
# of every silo over a run (TAG w: the warm-up, m: the measured run), on the load core: the runtime's and Orleans'
# counters every 5 s, to counters-N-OP-TAG-I.csv (the JIT's compiled methods show how far a silo's code has tiered up).
counters_start() {
  local i p
  COUNTER_PIDS=()
  for i in $(silos "$1" "${5:-0}"); do
    p=SILO_PID_$i
    "$HOME/.dotnet/tools/dotnet-counters" collect -p "${!p}" --refresh-interval 5 --duration "$(date -u -d "@$(($3 + 2))" +%T)" --format csv -o "$OUT/counters-$1-$2-$4-$i.csv" \
      --counters System.Runtime,Microsoft.Orleans >/dev/null 2>&1 &
    COUNTER_PIDS+=("$!")
  done
}
counters_stop() { local p; for p in "${COUNTER_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done; }

# start_cluster N B: a fresh database and the N silos from B on it; leaves CLUSTER_DB.
start_cluster() {
  local i cluster=scale$1$RANDOM
  CLUSTER_DB=$(new_database "$cluster")
  log "$1 silo(s), $QUOTA % of core $SILO_CPU each"
  for i in $(silos "$1" "$2"); do start_silo "$i" "$CLUSTER_DB" "$cluster"; done
}

# register N B: $AES AEs with a container each through the N endpoints from B, endpoint i registering its own block.
register() {
  local n=$1 b=$2 i u setups=()
  log "$n silo(s): registering $AES AEs through the $n endpoint(s)"
  for i in $(seq 0 $((n - 1))); do
    u=HTTP_$((b + i))
    timeout 600 "${LOADGEN[@]}" setup --base "${!u}" --aes $((AES / n)) --first $((i * AES / n)) --mni 10 \
      >"$OUT/setup-$n-$i.txt" 2>&1 &
    setups+=("$!")
  done
  for i in "${setups[@]}"; do wait "$i" || { cat "$OUT"/setup-"$n"-*.txt >&2; exit 1; }; done
  cat "$OUT"/setup-"$n"-*.txt >&2
}

# warm_up N OP B: $WARMUP s of unrecorded load on the N silos from B, after a first scrape of their /metrics (the
# measured runs scrape it, and its first call compiles the exporter's code).
warm_up() {
  log "$1 silo(s) $2: $WARMUP s warm-up"
  served "$1" all "$3" >/dev/null
  [ "$COUNTERS" = 1 ] && counters_start "$1" "$2" "$WARMUP" w "$3" || true
  if [ "$2" = mqtt ]; then mqtt_load "$1" "$WARMUP" w >/dev/null; else http_load "$1" "$2" "$WARMUP" w "$3" >/dev/null; fi
  [ "$COUNTERS" = 1 ] && counters_stop || true
}

# measure N OP B: one measured run on the N silos from B; prints "requests/s CPU-µs-per-request locality-% errors".
# The silos' CPU is read after the /metrics scrapes before the run and before those after it.
measure() {
  local n=$1 op=$2 b=$3 before after lb ab la aa responses rps cpu errors
  lb=$(served "$n" local "$b"); ab=$(served "$n" all "$b")
  before=$(silo_cpu "$n" "$b"); per_silo_mark "$n" "$b"
  log "$n silo(s) $op: $DURATION s measured"
  [ "$COUNTERS" = 1 ] && counters_start "$n" "$op" "$DURATION" m "$b" || true
  if [ "$op" = mqtt ]; then
    read -r rps cpu errors <<<"$(mqtt_load "$n" "$DURATION" m)"
  else
    read -r responses errors <<<"$(http_load "$n" "$op" "$DURATION" m "$b")"
    after=$(silo_cpu "$n" "$b")
    rps=$(awk -v r="$responses" -v d="$DURATION" 'BEGIN { printf "%.1f", r / d }')
    cpu=$(awk -v r="$responses" -v t=$((after - before)) -v hz="$TICKS" 'BEGIN { printf "%.1f", (r > 0 ? 1e6 * t / hz / r : 0) }')
    per_silo_report "$n" "$op" "$b" || true
  fi
  [ "$COUNTERS" = 1 ] && counters_stop || true
  la=$(served "$n" local "$b"); aa=$(served "$n" all "$b")
  echo "$rps $cpu $(awk -v l=$((la - lb)) -v a=$((aa - ab)) 'BEGIN { printf "%.1f", (a > 0 ? 100 * l / a : 0) }') $errors"
}

steady() {
  local n op
  for n in $SILOS; do
    start_cluster "$n" 0
    sleep 5   # membership settles: every silo sees the others before devices register
    register "$n" 0
    for op in $OPS; do
      warm_up "$n" "$op" 0
      echo "$n $op $(measure "$n" "$op" 0)" | tee -a "$RESULTS" >&2
    done
    stop_started
  done
}

# Paired mode: the one-silo cluster (silo 3) and the three-silo cluster (silos 0..2) run side by side, each on its
# own database, and take turns: per HTTP operation a warm-up of each, then $ROUNDS rounds of one measured run of
# each. Whatever else slows the machine for minutes at a time (other work on the sibling core, its own drift) hits
# both alike, which sequential runs minutes apart do not ensure. Figures: per round, and medians of the rounds.
paired() {
  local op r n b
  start_cluster 1 3
  start_cluster 3 0
  sleep 5
  register 1 3
  register 3 0
  for op in $OPS; do
    [ "$op" = mqtt ] && { log "paired mode: HTTP operations only, $op skipped"; continue; }
    warm_up 1 "$op" 3
    warm_up 3 "$op" 0
    for r in $(seq "$ROUNDS"); do
      for n in 1 3; do
        b=$(( n == 1 ? 3 : 0 ))
        echo "$n $op $(measure "$n" "$op" "$b") $r" | tee -a "$RESULTS" >&2
      done
    done
  done
  idle_cost
  stop_started
}

# idle_cost: with no load on either cluster, each silo's CPU over $IDLE s (membership, probes, timers, metrics and
# dashboard collection: what a silo costs whatever it serves), to $OUT/idle.txt.
idle_cost() {
  local i p m
  [ "$IDLE" -gt 0 ] || return 0
  log "paired mode: $IDLE s without load"
  for i in 0 1 2 3; do p=SILO_PID_$i; printf -v "IDLE_MARK_$i" '%s' "$(cpu_ticks "${!p}")"; done
  local perfs=()
  if [ "$PROFILE" = 1 ]; then
    for i in 0 3; do p=SILO_PID_$i; perf record -q -F 499 -g -p "${!p}" -o "$OUT/perf-idle-$i.data" -- sleep "$IDLE" >/dev/null 2>&1 & perfs+=("$!"); done
  fi
  sleep "$IDLE"
  for p in "${perfs[@]}"; do wait "$p" || true; done
  for i in 0 1 2 3; do
    p=SILO_PID_$i; m=IDLE_MARK_$i
    awk -v i="$i" -v t=$(($(cpu_ticks "${!p}") - ${!m})) -v hz="$TICKS" -v d="$IDLE" -v q="$QUOTA" \
      'BEGIN { printf "idle: silo %d (%s): %.1f ms CPU per s, %.1f %% of its quota\n", i, i == 3 ? "one-silo cluster" : "three-silo cluster", 1000 * t / hz / d, 100 * t / hz / d * 100 / q }'
  done | tee "$OUT/idle.txt" >&2
}

# live_sample N: one line "HH:MM:SS endpoints all_0 local_0 all_1 local_1 ..." of the served-request counters of
# silos 0..N-1 (0 0 for a silo not started yet); the endpoint count is the lines of the endpoints file.
live_sample() {
  local i u line
  line="$(date -u +%H:%M:%S) $(grep -c . "$OUT/endpoints")"
  for i in 0 1 2; do
    u=HTTP_$i
    if [ "$i" -lt "$1" ] && [ -n "${!u:-}" ]; then
      line="$line $(curl -s -m 5 "${!u}/metrics" | awk '/^virtualiot_requests_served_total\{/ { a += $NF; if (index($0, "locality=\"local\"")) l += $NF }
        END { printf "%.0f %.0f", a, l }')"
    else
      line="$line 0 0"
    fi
  done
  echo "$line"
}

# Live mode: silo 0 alone under LoadGen's devices (HTTP, open loop, above one silo's capacity, --verify), behind an
# endpoints file that LoadGen re-reads every second as a load balancer re-reads its backends; silo 1 is started
# LIVE_ADD_AT s into the steady phase and added to the file once its CSE answers, silo 2 as much later. Rendezvous
# hashing moves about 1/N of the devices to a new endpoint; their grains follow (MigrateOnIdle after a streak of
# requests arriving at the new silo). Every 10 s: LoadGen's line (creates/s, errors, p99 of the interval) and each
# silo's share of the served requests.
live() {
  local db cluster i loadgen started=0 sampler
  cluster=live$RANDOM
  # Each silo's connection pools sized so that three silos stay under the server's max_connections (200): with
  # Npgsql's default (100 per pool) a silo activating a thousand migrating grains at once took the server's last
  # connections, and reads failed with 53300 "too many clients" (the first live run).
  db="$(new_database "$cluster");Maximum Pool Size=$LIVE_PG_POOL"
  start_silo 0 "$db" "$cluster"
  echo "$HTTP_0" >"$OUT/endpoints"   # HTTP: LoadGen's load balancer; both: the silos the sampler reads
  local devices=(--endpoints-file "$OUT/endpoints")
  [ "$LIVE_PROTOCOL" = mqtt ] && devices=(--protocol mqtt --base "$HTTP_0" --mqtt-port "$MQTT_0")
  log "live: $LIVE_DEVICES $LIVE_PROTOCOL devices, one create each every $LIVE_INTERVAL, on silo 0 alone"
  "${LOADGEN[@]}" "${devices[@]}" --devices "$LIVE_DEVICES" --interval "$LIVE_INTERVAL" --duration "$LIVE_DURATION" \
    --verify --no-live --report-every 10s --prefix "Clive$RANDOM" --results "$OUT/live.json" >"$OUT/live.txt" 2>&1 &
  loadgen=$!
  PIDS+=("$loadgen")
  for _ in $(seq 600); do grep -q '\] steady ' "$OUT/live.txt" && { started=1; break; }; kill -0 "$loadgen" 2>/dev/null || break; sleep 1; done
  [ "$started" = 1 ] || { cat "$OUT/live.txt" >&2; echo "LoadGen did not reach its steady phase" >&2; exit 1; }
  log "live: steady phase started"
  ( n=1; while kill -0 "$loadgen" 2>/dev/null; do
      [ -f "$OUT/silos-started" ] && n=$(cat "$OUT/silos-started")
      HTTP_1=$(sed -n 2p "$OUT/endpoints") HTTP_2=$(sed -n 3p "$OUT/endpoints") live_sample "$n"; sleep 10
    done ) >"$OUT/live-silos.txt" 2>/dev/null &
  sampler=$!
  echo 1 >"$OUT/silos-started"
  for i in 1 2; do
    sleep "$LIVE_ADD_AT"
    log "live: silo $i joins"
    start_silo "$i" "$db" "$cluster"
    u=HTTP_$i
    cp "$OUT/endpoints" "$OUT/endpoints.new"; echo "${!u}" >>"$OUT/endpoints.new"; mv "$OUT/endpoints.new" "$OUT/endpoints"
    echo $((i + 1)) >"$OUT/silos-started"
    log "live: silo $i is in the endpoints file at $(date -u +%H:%M:%S)"
  done
  if [ "$LIVE_REMOVE" = 1 ]; then
    # Scale-in as an orchestrator does it: out of the load balancer first, then SIGTERM (a graceful stop).
    sleep $((2 * LIVE_ADD_AT))
    if [ "$LIVE_PROTOCOL" != mqtt ]; then
      head -n 2 "$OUT/endpoints" >"$OUT/endpoints.new"; mv "$OUT/endpoints.new" "$OUT/endpoints"
      log "live: silo 2 left the endpoints file at $(date -u +%H:%M:%S)"
      sleep 2   # LoadGen re-reads the file every second
    fi
    local stopping=$SECONDS code=0
    kill -TERM "$SILO_PID_2"
    wait "$SILO_PID_2" || code=$?
    log "live: silo 2 stopped (SIGTERM) at $(date -u +%H:%M:%S) after $((SECONDS - stopping)) s, exit code $code"
    if [ "$LIVE_PROTOCOL" = mqtt ]; then head -n 2 "$OUT/endpoints" >"$OUT/endpoints.new"; mv "$OUT/endpoints.new" "$OUT/endpoints"; fi
  fi
  wait "$loadgen" || true
  wait "$sampler" 2>/dev/null || true
  grep -E '^\[|^phase|^operation|^cin|^devices|^verification|^warning|^PROBLEM|^result|^  ' "$OUT/live.txt" >&2 || cat "$OUT/live.txt" >&2
  echo >&2
  echo "per 10 s, each silo's share of the served requests (requests its grains served, whichever silo received them) and the locality:" >&2
  # A stopped silo's counters read 0: its interval counts nothing.
  awk '{ if (NR > 1) { t = 0; l = 0; for (i = 0; i < 3; i++) { d[i] = $(3 + 2 * i) - p[i]; e = $(4 + 2 * i) - q[i]; if (d[i] < 0) { d[i] = 0; e = 0 } t += d[i]; l += e }
           printf "%s endpoints %d  served/s %6.0f  shares %5.1f %% %5.1f %% %5.1f %%  locality %5.1f %%\n", $1, $2, t / 10,
             t ? 100 * d[0] / t : 0, t ? 100 * d[1] / t : 0, t ? 100 * d[2] / t : 0, t ? 100 * l / t : 0 }
         for (i = 0; i < 3; i++) { p[i] = $(3 + 2 * i); q[i] = $(4 + 2 * i) } }' "$OUT/live-silos.txt" | tee "$OUT/live-shares.txt" >&2
  stop_started
}

LOAD_BEFORE=$(load_average)
if [ "$MODE" = live ]; then live; exit 0; fi
if [ "$MODE" = idle ]; then
  # Idle mode: the one-silo and the three-silo cluster side by side, no devices, no load: what each silo costs.
  start_cluster 1 3
  start_cluster 3 0
  sleep "$IDLE_SETTLE"
  idle_cost
  echo "idle: $QUOTA % of core $SILO_CPU per silo, SILO_ARGS=\"$SILO_ARGS\", load average $LOAD_BEFORE / $(load_average) ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  exit 0
fi
if [ "$MODE" = paired ]; then paired; else steady; fi
LOAD_AFTER=$(load_average)

{
  echo
  echo "=== scale-out: $QUOTA % of core $SILO_CPU per silo, PostgreSQL membership + storage, $AES AEs, $CONNECTIONS HTTP connections, ${WARMUP} s warm-up + ${DURATION} s per run"
  echo "    load average before / after: $LOAD_BEFORE / $LOAD_AFTER   ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "| silos | op | requests/s | silo CPU-µs per request | locality | errors |"
  echo "|---|---|---|---|---|---|"
  awk '{ printf "| %s | %s | %.0f | %s | %s %% | %s |\n", $1, $2, $3, $4, $5, $6 }' "$RESULTS"
  echo
  [ -s "$OUT/idle.txt" ] && { cat "$OUT/idle.txt"; echo; }
  echo "raw: $RESULTS (silos op requests/s CPU-µs locality-% errors [round]); total time ${SECONDS} s"
  max=$(awk '{ if ($1 > m) m = $1 } END { print m }' "$RESULTS")
  summary="scale-out:"
  for op in cin la mqtt; do
    # Per round (paired mode's 7th column; one round otherwise): N silos' figure over one silo's; the median of those.
    ratios() {
      awk -v o="$op" -v m="$max" -v c="$1" '$2 == o { r = $7 + 0; if ($1 == 1) one[r] = $c; if ($1 == m) top[r] = $c }
        END { for (r in one) if ((r in top) && one[r] > 0 && top[r] > 0) print top[r] / one[r] }' "$RESULTS"
    }
    rounds=$(ratios 3 | wc -l) ratio="" cpu=""
    [ "$rounds" -gt 0 ] && ratio=$(ratios 3 | median_of) && cpu=$(ratios 4 | median_of)
    [ -n "$cpu" ] && echo "$op: CPU per request, $max vs 1 silos (median of $rounds round(s)): $(awk -v r="$cpu" 'BEGIN { printf "%+.0f %%", 100 * (r - 1) }')"
    summary="$summary $op $( [ -n "$ratio" ] && awk -v r="$ratio" 'BEGIN { printf "x%.2f", r }' || echo n/a)"
  done
  echo "$summary ($max vs 1 silos, $QUOTA% of a core each)"
} | tee "$OUT/summary.txt"
