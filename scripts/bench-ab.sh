#!/usr/bin/env bash
# A/B (or A/B/C) of builds of the Silo: server CPU time per request, measured in interleaved rounds so that every
# build sees the same machine noise. See BENCHMARKS.md ("CPU per request of two builds, interleaved").
#
#   scripts/bench-ab.sh 2fe28ac main              # builds each revision once (git worktree under $OUT/src)
#   scripts/bench-ab.sh 2fe28ac main HEAD         # three builds
#   A_DIR=/path/silo-a B_DIR=/path/silo-b [C_DIR=/path/silo-c] scripts/bench-ab.sh   # Silo output folders already built
#   PAIRS=2 ROUNDS=10 DURATION=5 OPS="cin la" scripts/bench-ab.sh a b
#   OPS="ae ae-delete cnt" scripts/bench-ab.sh a b   # AE create, AE delete, container create (ae-delete: before each
#                                                 # run, 2 x DURATION s of ae.lua, not measured, register the AEs it deletes)
#   STORAGE=postgres scripts/bench-ab.sh a b      # PostgreSQL storage: one throwaway server (CPU $CLIENT_CPU, beside
#                                                 # wrk), a database per build; the summary adds PostgreSQL's CPU per request
#   A_ARGS="--Storage:Postgres:Writers 2" B_ARGS="--Storage:Postgres:Writers 8" A_DIR=d B_DIR=d scripts/bench-ab.sh
#                                                 # one build under two configurations: extra Silo switches per build
#   B_PG="Max Auto Prepare=16" STORAGE=postgres ...  # and extra Npgsql connection string keywords per build
#   B_ENV="DOTNET_TieredPGO=0" A_DIR=d B_DIR=d scripts/bench-ab.sh   # and extra environment variables per build
#
# For each of $PAIRS process sets: every build's Silo starts (pinned to CPU $SERVER_CPU; an idle one uses next to
# nothing; which starts first rotates), each gets $AES AEs with a container, each is warmed up ($WARMUP s of each
# operation: the JIT's tier-up), then $ROUNDS rounds run every build once each, in an order that rotates, with wrk
# (closed loop, on CPU $CLIENT_CPU). Each run records requests, server CPU ticks, errors, and from the Silo's
# Prometheus endpoint the bytes allocated and the grain messages sent inside the silo. CPU per request (µs) =
# server CPU time / responses: unlike req/s it does not fall when another process takes the core (though it does
# rise somewhat on a loaded machine: caches). The summary gives, per operation and build, the median and range of
# each figure over the rounds and over whole process sets, and the median of the per-round ratios to A.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ROOT=$PWD

PAIRS=${PAIRS:-2}
ROUNDS=${ROUNDS:-8}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-40}
OPS=${OPS:-cin}
AES=${AES:-1000}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-ab}
STORAGE=${STORAGE:-memory}   # memory (the embedded default) or postgres
export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production

require_wrk
mkdir -p "$OUT/bin"
rm -f "$OUT"/*.log "$OUT"/*.txt

# build_rev REV DIR: the Silo of git revision REV built in Release into DIR (once; kept for later runs).
build_rev() {
  local rev=$1 dir=$2 src
  src=$OUT/src/$(git rev-parse --short "$rev")
  if [ ! -f "$dir/VirtualIoT.Silo.dll" ]; then
    [ -d "$src" ] || git worktree add --detach "$src" "$rev" >/dev/null
    log "building $rev in $src"
    dotnet build "$src/Silo" -c Release -nologo -clp:ErrorsOnly -v quiet >"$OUT/build-$(basename "$dir").log" 2>&1 \
      || { cat "$OUT/build-$(basename "$dir").log" >&2; exit 1; }
    rm -rf "$dir"
    cp -r "$src/Silo/bin/Release/net10.0" "$dir"
  fi
}
if [ -z "${A_DIR:-}" ]; then
  [ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 REV_A REV_B [REV_C]   (or A_DIR=... B_DIR=... [C_DIR=...] $0)" >&2; exit 2; }
  A_DIR=$OUT/bin/a-$(git rev-parse --short "$1"); B_DIR=$OUT/bin/b-$(git rev-parse --short "$2")
  build_rev "$1" "$A_DIR"; build_rev "$2" "$B_DIR"
  if [ $# -eq 3 ]; then C_DIR=$OUT/bin/c-$(git rev-parse --short "$3"); build_rev "$3" "$C_DIR"; fi
fi
BUILDS="A B"; [ -n "${C_DIR:-}" ] && BUILDS="A B C"
read -r -a NAMES <<<"$BUILDS"
# rotated K: the build names rotated left by K places (A B C, B C A, C A B, ...).
rotated() { local k=$(($1 % ${#NAMES[@]})); echo "${NAMES[@]:k} ${NAMES[@]:0:k}"; }
# The load generator (setup) of this checkout, the same for both builds.
# (Its own folder: release_copy replaces OUT/bin, where the builds under test are.)
release_copy "$OUT/tool" LoadGen
LOADGEN=(dotnet "$OUT/tool/bin/loadgen/VirtualIoT.LoadGen.dll")

stop_all() {
  stop_started
  if [ "$STORAGE" = postgres ]; then scripts/pg.sh stop >/dev/null 2>&1 || true; fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# pg_ticks: CPU time (clock ticks) used so far by the PostgreSQL server and its backends (0 with memory storage).
pg_ticks() { echo 0; }
case "$STORAGE" in
  memory) ;;
  postgres)
    export VIRTUALIOT_PG_STATE=$OUT/pg
    log "starting PostgreSQL (CPU $CLIENT_CPU, beside the load generator)"
    PG=$(taskset -c "$CLIENT_CPU" scripts/pg.sh start)
    PG_PORT=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$PG")
    PSQL=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql
    PG_MAIN=$(head -1 "$OUT/pg/data/postmaster.pid")
    # The server's own time and its reaped backends' (cutime + cstime), plus the live backends'.
    pg_ticks() {
      local p t
      t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PG_MAIN/stat")
      for p in $(pgrep -P "$PG_MAIN"); do t=$((t + $(cpu_ticks "$p" 2>/dev/null || echo 0))); done
      echo "$t"
    } ;;
  *) echo "STORAGE must be memory or postgres, not '$STORAGE'" >&2; exit 2 ;;
esac

RESULTS=$OUT/results.txt   # one line per run: set round build op responses cpu_ticks errors seconds alloc_bytes local_msgs pg_ticks
: >"$RESULTS"
TICKS=$(getconf CLK_TCK)

# start_silo NAME DIR: starts a Silo, waits for it, creates the AEs; leaves URL_<NAME> and PID_<NAME>.
start_silo() {
  local name=$1 dir=$2 port sport gport mport pid args db extra environment storage=()
  port=$(free_port); sport=$(free_port); gport=$(free_port); mport=$(free_port)
  args=${name}_ARGS; extra=${name}_PG; environment=${name}_ENV
  if [ "$STORAGE" = postgres ]; then
    db=ab_$(tr 'A-Z' 'a-z' <<<"$name")_$RANDOM
    "$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qAt -c "CREATE DATABASE $db" >&2
    storage=(--Storage:Provider postgres --Storage:ConnectionString "$(sed "s/Database=[^;]*/Database=$db/" <<<"$PG")${!extra:+;${!extra}}")
  fi
  # shellcheck disable=SC2086 # *_ARGS are switches and *_ENV assignments split as words
  env ${!environment:-} taskset -c "$SERVER_CPU" dotnet "$dir/VirtualIoT.Silo.dll" --contentRoot "$dir" --urls "http://127.0.0.1:$port" \
    --Orleans:SiloPort "$sport" --Orleans:GatewayPort "$gport" --Mqtt:Port "$mport" --Coap:Enabled false \
    "${storage[@]}" ${!args:-} >"$OUT/silo-$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_cse "silo $name" "$pid" "$OUT/silo-$name.log" "http://127.0.0.1:$port"
  taskset -c "$CLIENT_CPU" timeout 120 "${LOADGEN[@]}" setup --base "http://127.0.0.1:$port" --aes "$AES" --mni 10 \
    >"$OUT/setup-$name.txt"
  printf -v "URL_$name" '%s' "http://127.0.0.1:$port"
  printf -v "PID_$name" '%s' "$pid"
}

# metric URL NAME: the value of Prometheus counter NAME (summed over its series) at URL/metrics.
metric() { curl -s -m 10 "$1/metrics" | awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%.0f", s }'; }

# run PAIR ROUND NAME OP SECONDS: one wrk run against Silo NAME; appends to $RESULTS unless ROUND is warmup.
run() {
  local pair=$1 round=$2 name=$3 op=$4 seconds=$5 url pid before after file line alloc msgs pg_before pg_after
  url=URL_$name; pid=PID_$name
  file=$OUT/$op-$name-$pair-$round.txt
  local pool=() fill fill_tag responses exhausted=0
  if [ "$op" = ae-delete ]; then
    # AE delete deletes AEs registered for it just before (ae.lua's AE-IDs are C<tag>-0-<n>; n = 1 is never sent and
    # the last $CONNECTIONS may have been in flight at the end, so both are left out of the pool).
    fill_tag="fill-$name-$pair-$round-$$"; fill=$OUT/ae-fill-$name-$pair-$round.txt
    taskset -c "$CLIENT_CPU" timeout $((2 * seconds + 30)) wrk -t1 -c"$CONNECTIONS" -d"$((2 * seconds))s" --timeout 5s \
      -s "$ROOT/scripts/bench/ae.lua" "${!url}" -- "$AES" "$fill_tag" >"$fill" 2>&1 || true
    responses=$(grep -o 'BENCH responses=[0-9]*' "$fill" | cut -d= -f2)
    pool=("C$fill_tag-0-:2:$(( ${responses:-0} - CONNECTIONS ))")
  fi
  alloc=$(metric "${!url}" dotnet_gc_heap_total_allocated_bytes_total)
  msgs=$(metric "${!url}" orleans_messaging_sent_local_total)
  before=$(cpu_ticks "${!pid}"); pg_before=$(pg_ticks)
  taskset -c "$CLIENT_CPU" timeout $((seconds + 30)) wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s \
    -s "$ROOT/scripts/bench/$op.lua" "${!url}" -- "$AES" "$name-$pair-$round-$$" "${pool[@]}" >"$file" 2>&1 || true
  after=$(cpu_ticks "${!pid}") || { echo "Silo $name is gone; see $OUT/silo-$name.log" >&2; exit 1; }
  pg_after=$(pg_ticks)
  line=$(grep '^BENCH responses=' "$file") || { cat "$file" >&2; exit 1; }
  # A delete run whose pool ran out did not run for its whole time at the delete rate: counted as an error.
  if grep -q '^BENCH pool_exhausted' "$file"; then exhausted=1; log "$op $name round $round: its pool of AEs ran out"; fi
  case "$round" in warmup*) return 0 ;; esac
  alloc=$(( $(metric "${!url}" dotnet_gc_heap_total_allocated_bytes_total) - alloc ))
  msgs=$(( $(metric "${!url}" orleans_messaging_sent_local_total) - msgs ))
  awk -v x="$exhausted" -v p="$pair" -v r="$round" -v n="$name" -v o="$op" -v t=$((after - before)) -v s="$seconds" -v a="$alloc" -v m="$msgs" -v g=$((pg_after - pg_before)) \
    '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
     END { e = v["bad_status"] + v["bad_rsc"] + v["socket_errors"] + v["timeouts"] + x
           printf "%s %s %s %s %s %s %s %s %s %s %s\n", p, r, n, o, v["responses"], t, e, s, a, m, g }' <<<"$line" >>"$RESULTS"
  log "$(tail -1 "$RESULTS" | awk -v hz="$TICKS" '{ printf "set %s round %2s %s %-3s %7.0f req/s  %6.1f CPU-us/req  %6.0f B/req  %4.2f local msgs/req  errors %s  PostgreSQL %5.1f CPU-us/req", $1, $2, $3, $4, $5 / $8, 1e6 * $6 / hz / $5, $9 / $5, $10 / $5, $7, 1e6 * $11 / hz / $5 }')"
}

LOAD_BEFORE=$(load_average)
for pair in $(seq "$PAIRS"); do
  log "process set $pair: starting the Silos (A = $A_DIR, B = $B_DIR${C_DIR:+, C = $C_DIR})"
  # Which starts first rotates too, in case start order matters (memory layout, JIT timing).
  for name in $(rotated $((pair - 1))); do dir=${name}_DIR; start_silo "$name" "${!dir}"; done
  for op in $OPS; do
    for name in $BUILDS; do
      for step in $(seq $(( (WARMUP + 4) / 5 ))); do run "$pair" "warmup$step" "$name" "$op" 5; done
    done
  done
  for round in $(seq "$ROUNDS"); do
    for op in $OPS; do
      for name in $(rotated $((round + pair))); do run "$pair" "$round" "$name" "$op" "$DURATION"; done
    done
  done
  stop_started
done
LOAD_AFTER=$(load_average)

# ---- summary ----------------------------------------------------------------------------------------------------
# stats [DECIMALS]: "median (min-max, n=count)" of the numbers on stdin.
stats() { sort -g | awk -v d="${1:-1}" '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  f = "%." d "f"; printf f " (" f "-" f ", n=%d)", m, v[1], v[NR], NR }'; }
{
  echo
  echo "=== $BUILDS, server CPU per request: $PAIRS process set(s) x $ROUNDS interleaved rounds x ${DURATION} s, $CONNECTIONS connections, $AES AEs"
  echo "    A = ${A_ENV:+$A_ENV }$A_DIR ${A_ARGS:-}"
  echo "    B = ${B_ENV:+$B_ENV }$B_DIR ${B_ARGS:-}"
  [ -n "${C_DIR:-}" ] && echo "    C = ${C_ENV:+$C_ENV }$C_DIR ${C_ARGS:-}"
  echo "    storage: $STORAGE"
  echo "    load average before / after: $LOAD_BEFORE / $LOAD_AFTER   ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "| op | build | CPU-µs per request, median (range, runs) | req/s, median (range) | bytes allocated per request | local grain messages per request | errors | PostgreSQL CPU-µs per request |"
  echo "|---|---|---|---|---|---|---|---|"
  for op in $OPS; do
    for name in $BUILDS; do
      cpu=$(awk -v n="$name" -v o="$op" -v hz="$TICKS" '$3 == n && $4 == o { print 1e6 * $6 / hz / $5 }' "$RESULTS" | stats)
      rps=$(awk -v n="$name" -v o="$op" '$3 == n && $4 == o { print $5 / $8 }' "$RESULTS" | stats 0)
      alloc=$(awk -v n="$name" -v o="$op" '$3 == n && $4 == o { print $9 / $5 }' "$RESULTS" | stats 0)
      msgs=$(awk -v n="$name" -v o="$op" '$3 == n && $4 == o { print $10 / $5 }' "$RESULTS" | stats 2)
      err=$(awk -v n="$name" -v o="$op" '$3 == n && $4 == o { e += $7 } END { print e + 0 }' "$RESULTS")
      pgcpu=$(awk -v n="$name" -v o="$op" -v hz="$TICKS" '$3 == n && $4 == o { print 1e6 * $11 / hz / $5 }' "$RESULTS" | stats)
      echo "| $op | $name | $cpu | $rps | $alloc | $msgs | $err | $pgcpu |"
    done
    # Whole process sets: all of a set's rounds summed (a round's own figure depends on where it falls in the
    # containers' 16-instance segment cycle, which all containers walk in step).
    for name in $BUILDS; do
      whole() { awk -v n="$name" -v o="$op" -v hz="$TICKS" -v e="$1" '$3 == n && $4 == o { t[$1] += $6; r[$1] += $5; a[$1] += $9; m[$1] += $10 }
        END { for (p in t) print (e == "cpu" ? 1e6 * t[p] / hz / r[p] : e == "alloc" ? a[p] / r[p] : m[p] / r[p]) }' "$RESULTS" | stats "$2"; }
      echo "| $op | $name, whole process sets | $(whole cpu 1) | | $(whole alloc 0) | $(whole msgs 3) | | |"
    done
    for name in $BUILDS; do
      [ "$name" = A ] && continue
      ratio=$(awk -v o="$op" -v b="$name" '$4 == o { c[$1 " " $2 " " $3] = $6 / $5 }
        END { for (k in c) { split(k, f, " "); if (f[3] == "A" && c[f[1] " " f[2] " " b] > 0) print 100 * c[f[1] " " f[2] " " b] / c[k] } }' "$RESULTS" | stats)
      rratio=$(awk -v o="$op" -v b="$name" '$4 == o { c[$1 " " $2 " " $3] = $5 / $8 }
        END { for (k in c) { split(k, f, " "); if (f[3] == "A" && c[f[1] " " f[2] " " b] > 0) print 100 * c[f[1] " " f[2] " " b] / c[k] } }' "$RESULTS" | stats)
      echo "| $op | $name / A, CPU per request, per round | $ratio % | $rratio % (req/s) | | | | |"
    done
  done
  echo
  echo "raw: $RESULTS (set round build op responses cpu_ticks errors seconds alloc_bytes local_msgs pg_ticks); total time ${SECONDS} s"
} | tee "$OUT/summary.txt"
