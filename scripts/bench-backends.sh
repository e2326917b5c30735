#!/usr/bin/env bash
# Storage back-end benchmark on one machine, loopback only. See BENCHMARKS.md ("Storage back-ends").
#
#   scripts/bench-backends.sh                       # everything below; about 5-6 minutes with the build up to date
#   BACKENDS="postgres postgres-stock" SILOS=1 scripts/bench-backends.sh
#   MNI=10 CONNECTIONS=192 COMMIT_CONNECTIONS="1 16 64" scripts/bench-backends.sh   # runs A/B's workload
#
# 1. PostgreSQL's commit-rate baseline on the run's own server (`VirtualIoT.LoadGen commit-rate`): rows/s with one row per
#    autocommit transaction and with 100 rows per transaction, on 1, 16 and 64 connections (PostgreSQL itself
#    flushes the WAL of concurrent commits together, so the single-row rate grows with connections; the best of
#    them is the baseline).
# 2. contentInstance create, closed loop ($CONNECTIONS connections, `VirtualIoT.LoadGen load --op cin`), one silo each on:
#    memory, azuretable (Azurite), postgres (group commit, the default), postgres-w<N> (group commit with
#    Storage:Postgres:Writers=N), postgres-stock (Orleans' ADO.NET persistence, Storage:Postgres:GroupCommit=false).
#    Each back-end gets a fresh database / table. Containers get mni $MNI: the default 100000 never evicts within a
#    run, so a create is one storage write (plus one sealed segment per 16 creates); mni 10 (runs A and B) evicts
#    on nearly every create, a segment rewrite before the state write.
# 3. With SILOS containing 3: three silos on PostgreSQL membership and group-commit storage, one load client per
#    silo ($CONNECTIONS / 3 connections each), against the same single-silo figure.
# Servers: a throwaway PostgreSQL (scripts/pg.sh, fsync on) and Azurite (scripts/azurite.sh) of this run only.
# Silos use ports from $PORT_BASE (default 18000) up. Output and logs in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

BACKENDS=${BACKENDS:-"memory azuretable postgres postgres-stock"}
SILOS=${SILOS:-"1 3"}                 # "1 3": also the three-silo run; "1": back-ends only
AES=${AES:-500}
CONNECTIONS=${CONNECTIONS:-512}           # HTTP connections of the cin load (split over the silos' clients)
COMMIT_CONNECTIONS=${COMMIT_CONNECTIONS:-"1 16 64 128"}  # connections of the commit-rate baseline runs (max_connections is 200)
MNI=${MNI:-100000}                    # mni of the benchmark's containers
WARMUP=${WARMUP:-15}                  # seconds of unrecorded load before each measured run (JIT tier-up)
DURATION=${DURATION:-10}              # seconds measured per run
PORT_BASE=${PORT_BASE:-18000}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-backends}

export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
export VIRTUALIOT_PG_STATE=$OUT/pg VIRTUALIOT_AZURITE_STATE=$OUT/azurite

mkdir -p "$OUT"
rm -rf "$OUT"/*.log "$OUT"/*.txt

cleanup() {
  stop_started
  scripts/pg.sh stop >/dev/null 2>&1 || true
  scripts/azurite.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

release_copy "$OUT" Silo LoadGen
SILO_DLL=$OUT/bin/silo/VirtualIoT.Silo.dll
BENCH=(dotnet "$OUT/bin/loadgen/VirtualIoT.LoadGen.dll")

log "starting PostgreSQL and Azurite"
start_bench_postgres
AZURITE=$(scripts/azurite.sh start)

LOAD_BEFORE=$(load_average)
MAX_CONNECTIONS=$("$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qAt -c "SHOW max_connections")
RESULTS=$OUT/results.txt
: >"$RESULTS"

log "PostgreSQL commit-rate baseline"
for c in $COMMIT_CONNECTIONS; do
  "${BENCH[@]}" commit-rate --connection "$(new_database "commitrate$c")" --duration 5 --rows 100 --connections "$c" | tee -a "$OUT/commit-rate.txt" >&2
done

# $1 = index (0..), rest = extra Silo switches; starts a silo on ports PORT_BASE + 10*index + 0/1/2.
start_silo() {
  local i=$1 http silo gateway pid
  shift
  http=$((PORT_BASE + 10 * i)); silo=$((http + 1)); gateway=$((http + 2))
  dotnet "$SILO_DLL" --contentRoot "$OUT/bin/silo" --urls "http://127.0.0.1:$http" \
    --Orleans:SiloPort "$silo" --Orleans:GatewayPort "$gateway" --Mqtt:Enabled false --Coap:Enabled false \
    --Logging:LogLevel:Default Warning "$@" >"$OUT/silo-$RUN-$i.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_cse "silo $i" "$pid" "$OUT/silo-$RUN-$i.log" "http://127.0.0.1:$http"
}

# $1 = run name, $2 = number of silos (each gets one load client with CONNECTIONS / silos connections)
measure() {
  local name=$1 silos=$2 i per
  per=$((CONNECTIONS / silos))
  log "$name: setup ($AES AEs with a container each)"
  timeout 300 "${BENCH[@]}" setup --base "http://127.0.0.1:$PORT_BASE" --aes "$AES" --mni "$MNI" >"$OUT/setup-$name.txt"
  log "$name: cin, $WARMUP s warm-up + $DURATION s measured, $silos client(s) x $per connections"
  local loads=()
  for i in $(seq 0 $((silos - 1))); do
    timeout $((WARMUP + DURATION + 60)) "${BENCH[@]}" load --base "http://127.0.0.1:$((PORT_BASE + 10 * i))" --op cin \
      --aes "$AES" --connections "$per" --warmup "$WARMUP" --duration "$DURATION" >"$OUT/load-$name-$i.txt" 2>&1 &
    loads+=("$!")
  done
  for i in "${loads[@]}"; do wait "$i" || true; done  # a load client exits 2 on bad responses; they are counted below
  grep -h '^LOAD op=' "$OUT"/load-"$name"-[0-9]*.txt >&2 || { cat "$OUT"/load-"$name"-[0-9]*.txt >&2; exit 1; }
  # name silos rps(sum) p50(max) p99(max) errors(sum)
  grep -h '^LOAD op=' "$OUT"/load-"$name"-[0-9]*.txt | tr ' ' '\n' | awk -F= -v n="$name" -v s="$silos" '
    $1 == "rps" { rps += $2 } $1 == "p50_ms" && $2 > p50 { p50 = $2 } $1 == "p99_ms" && $2 > p99 { p99 = $2 }
    $1 == "bad_status" || $1 == "bad_rsc" || $1 == "failed" { errors += $2 }
    END { printf "%s %s %.0f %s %s %d\n", n, s, rps, p50, p99, errors }' >>"$RESULTS"
  # Group commit as the silos saw it (whole run, warm-up and setup included): writes per transaction, commit time.
  for i in $(seq 0 $((silos - 1))); do
    curl -s -m 5 "http://127.0.0.1:$((PORT_BASE + 10 * i))/metrics" || true
  done | awk -v n="$name" '
    /^virtualiot_storage_batch_size_sum/ { ws += $NF } /^virtualiot_storage_batch_size_count/ { bc += $NF }
    /^virtualiot_storage_commit_duration_seconds_sum/ { cs += $NF } /^virtualiot_storage_commit_duration_seconds_count/ { cc += $NF }
    END { if (bc > 0) printf "%s: %d writes in %d transactions, %.1f writes per transaction, mean commit %.1f ms\n", n, ws, bc, ws / bc, 1000 * cs / cc }' \
    | tee -a "$OUT/group-commit.txt" >&2
}

for backend in $BACKENDS; do
  RUN=$backend
  case "$backend" in
    memory) args=() ;;
    azuretable) args=(--Storage:Provider azuretable --Storage:ConnectionString "$AZURITE" --Storage:TableName "bench$RANDOM$RANDOM") ;;
    postgres) args=(--Storage:Provider postgres --Storage:ConnectionString "$(new_database bench_group)") ;;
    postgres-w[0-9]*) args=(--Storage:Provider postgres --Storage:ConnectionString "$(new_database "bench_${backend#postgres-}")" --Storage:Postgres:Writers "${backend#postgres-w}") ;;
    postgres-stock) args=(--Storage:Provider postgres --Storage:ConnectionString "$(new_database bench_stock)" --Storage:Postgres:GroupCommit false) ;;
    *) echo "unknown back-end $backend" >&2; exit 2 ;;
  esac
  log "$backend: starting one silo"
  start_silo 0 "${args[@]}"
  measure "$backend" 1
  stop_started
done

for n in $SILOS; do
  RUN=cluster$n
  db=$(new_database "bench_cluster$n")
  log "$n silo(s) on PostgreSQL membership and group-commit storage"
  for i in $(seq 0 $((n - 1))); do
    start_silo "$i" --Clustering:Provider postgres --Clustering:ConnectionString "$db" --Clustering:ClusterId "bench$n" \
      --Storage:Provider postgres --Storage:ConnectionString "$db"
  done
  measure "cluster-$n" "$n"
  stop_started
done
LOAD_AFTER=$(load_average)

single=$(grep 'rows_per_transaction=1 ' "$OUT/commit-rate.txt" | sed -n 's/.*connections=\([0-9]*\).*rows_per_s=\([0-9]*\).*/\1 \2/p')
{
  echo
  echo "=== storage back-ends: $AES AEs (containers with mni $MNI), $CONNECTIONS connections, ${WARMUP} s warm-up + ${DURATION} s per run"
  echo "    load average before / after: $LOAD_BEFORE / $LOAD_AFTER   ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc --all) CPUs)"
  echo
  echo "PostgreSQL commit rate (same server, max_connections $MAX_CONNECTIONS):"
  sed 's/^/  /' "$OUT/commit-rate.txt"
  echo
  echo "| run | silos | cin/s | p50 ms | p99 ms | errors |"
  echo "|---|---|---|---|---|---|"
  awk '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$RESULTS"
  echo
  best_single=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' <<<"$single")
  one_single=$(awk '$1 == 1 { print $2 }' <<<"$single")
  awk '$1 ~ /^postgres(-w[0-9]+)?$/ { print $1, $3 }' "$RESULTS" | while read -r run group; do
    [ -n "$one_single" ] && awk -v r="$run" -v g="$group" -v s="$one_single" 'BEGIN { printf "%s / single-row commit rate on 1 connection: %.0f / %d = %.2fx (target >= 2x)\n", r, g, s, g / s }'
    [ "$best_single" -gt 0 ] && awk -v r="$run" -v g="$group" -v s="$best_single" 'BEGIN { printf "%s / best single-row commit rate of this run: %.0f / %d = %.2fx (target >= 2x)\n", r, g, s, g / s }'
  done
  [ -s "$OUT/group-commit.txt" ] && sed 's/^/group commit, /' "$OUT/group-commit.txt"
  echo "raw output: $OUT   total time: ${SECONDS} s"
} | tee "$OUT/summary.txt"
