# Shared helpers for scripts/*.sh (sourced, not run): logging, free ports, background processes stopped on exit,
# Release builds copied aside, readiness waits and small statistics. Each script sources it first:
#   source "$(dirname "$0")/lib.sh"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The repository root (scripts/..), whatever the caller's directory.
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# A progress line on stderr with the seconds since the script started.
log() { printf '[%3ds] %s\n' "$SECONDS" "$*" >&2; }

# Prints a TCP port that nothing listens on (loopback), chosen at random so parallel runs rarely collide, and
# never one this script was already given.
_TAKEN_PORTS=" "
free_port() {
  local port low
  # Below the kernel's ephemeral range (32768 by default), where no client connection takes a port between this check
  # and the server's bind (a load of 1,000 MQTT clients once took the port PostgreSQL was about to bind); and free of
  # every socket, not only listening ones.
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  [ "$low" -gt 12000 ] || low=32768
  for _ in $(seq 1 200); do
    port=$((10000 + RANDOM % (low - 10000)))
    case "$_TAKEN_PORTS" in *" $port "*) continue ;; esac
    if ! ss -Htan "sport = :${port}" | grep -q .; then
      _TAKEN_PORTS="$_TAKEN_PORTS$port "
      echo "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

# Waits until something listens on 127.0.0.1:$1, at most $2 seconds.
wait_for_port() {
  local port=$1 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if ss -Htln "sport = :${port}" | grep -q .; then
      return 0
    fi
    sleep 0.2
  done
  echo "nothing listens on port ${port} after $2 s" >&2
  return 1
}

# ---- background processes ---------------------------------------------------------------------------------------
# Scripts add the PID of every process they start to PIDS and call stop_started from their EXIT trap.
PIDS=()

# Stops the given processes: SIGTERM, up to 5 s to exit, then SIGKILL; reaps them.
stop_pids() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# Stops every process in PIDS and empties it.
stop_started() {
  if [ "${#PIDS[@]}" -gt 0 ]; then
    stop_pids "${PIDS[@]}"
  fi
  PIDS=()
}

# ---- Release builds -------------------------------------------------------------------------------------------
# release_copy OUT PROJECT...: builds each project folder (Silo, Gateway, LoadGen) in Release, unless NO_BUILD=1,
# and copies its output to OUT/bin/<project in lower case> (OUT/bin/silo, …), so that a concurrent build of the
# solution cannot replace the assemblies of a running benchmark. Exits with the build log on a failed build.
# Silo and Gateway are published (`dotnet publish`: no quick JIT, see their .csproj), as deployed, so that a fresh
# process is near its speed at once; PUBLISH=0 copies their plain build instead (quick JIT, as `dotnet run` and the
# tests run them).
release_copy() {
  local out=$1 project
  shift
  mkdir -p "$out"
  if [ "${NO_BUILD:-0}" = 1 ]; then
    log "NO_BUILD=1: using the existing Release output"
  else
    log "building Release ($*${PUBLISH:+, PUBLISH=$PUBLISH})"
    : >"$out/build.log"
    for project in "$@"; do
      if _published "$project"; then
        dotnet publish "$REPO_ROOT/$project" -c Release -nologo -clp:ErrorsOnly -v quiet -o "$(_release_dir "$project")" \
          >>"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
      else
        dotnet build "$REPO_ROOT/$project" -c Release -nologo -clp:ErrorsOnly -v quiet >>"$out/build.log" 2>&1 \
          || { cat "$out/build.log" >&2; exit 1; }
      fi
    done
  fi
  rm -rf "$out/bin"
  mkdir -p "$out/bin"
  for project in "$@"; do
    cp -r "$(_release_dir "$project")" "$out/bin/${project,,}"
  done
}

# Whether release_copy publishes PROJECT (Silo and Gateway, unless PUBLISH=0).
_published() { [ "${PUBLISH:-1}" != 0 ] && { [ "$1" = Silo ] || [ "$1" = Gateway ]; }; }

# The folder release_copy takes PROJECT's Release output from.
_release_dir() {
  if _published "$1"; then echo "$REPO_ROOT/$1/bin/Release/publish"; else echo "$REPO_ROOT/$1/bin/Release/net10.0"; fi
}

# enter_priority_cgroup: unless PRIORITY=0, moves this shell (and so everything it starts from now on) into the CPU
# cgroup "priority" with the highest cpu.shares, so that on a shared machine a benchmark's processes take the cores
# ahead of other work. Needs cgroup v1 and root; PRIORITY=1 makes that a requirement, the default (auto) skips it.
enter_priority_cgroup() {
  local priority=${PRIORITY:-auto}
  if [ "$priority" != 0 ] && [ -w /sys/fs/cgroup/cpu ]; then
    mkdir -p /sys/fs/cgroup/cpu/priority
    echo 262144 >/sys/fs/cgroup/cpu/priority/cpu.shares
    echo $$ >/sys/fs/cgroup/cpu/priority/cgroup.procs
    log "running in CPU cgroup 'priority' (cpu.shares 262144)"
  elif [ "$priority" = 1 ]; then
    echo "PRIORITY=1 needs a writable /sys/fs/cgroup/cpu (cgroup v1, root)" >&2
    exit 1
  fi
}

# bench_setup PROJECT...: the common start of a benchmark. Production environment, the high-share CPU cgroup (see
# enter_priority_cgroup), an $OUT without the last run's logs, every started process stopped on exit, and the Release
# output of PROJECTs copied to $OUT/bin (skipped when BIN names an existing copy). Sets BIN and LOADGEN.
bench_setup() {
  export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
  enter_priority_cgroup
  mkdir -p "$OUT"
  rm -f "$OUT"/*.log "$OUT"/*.txt
  trap stop_started EXIT
  trap 'exit 130' INT TERM
  if [ -z "${BIN:-}" ]; then
    release_copy "$OUT" "$@"
    BIN=$OUT/bin
  fi
  LOADGEN=(dotnet "$BIN/loadgen/VirtualIoT.LoadGen.dll")
}

# ---- PostgreSQL of a benchmark run -----------------------------------------------------------------------------
# start_bench_postgres: starts the run's throwaway PostgreSQL (scripts/pg.sh; its folder is $VIRTUALIOT_PG_STATE) and
# sets PG (its connection string), PG_PORT and PSQL. The caller stops it (scripts/pg.sh stop) in its EXIT trap.
start_bench_postgres() {
  PG=$("$REPO_ROOT/scripts/pg.sh" start)
  PG_PORT=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$PG")
  PSQL=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql
}

# new_database NAME: creates database NAME on that server and prints its connection string.
new_database() {
  "$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qAt -c "CREATE DATABASE $1" >&2
  sed "s/Database=[^;]*/Database=$1/" <<<"$PG"
}

# ---- readiness --------------------------------------------------------------------------------------------------
# wait_http NAME PID LOG CURL-ARGS...: waits (at most 60 s) until `curl CURL-ARGS` answers HTTP 200; exits with the
# tail of LOG when the process PID ends first or the time runs out.
wait_http() {
  local name=$1 pid=$2 logfile=$3 code
  shift 3
  for _ in $(seq 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited; see $logfile" >&2
      tail -20 "$logfile" >&2
      exit 1
    fi
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$@" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.2
  done
  echo "$name not ready after 60 s; see $logfile" >&2
  exit 1
}

# wait_cse NAME PID LOG URL: wait_http for a oneM2M CSE, retrieving its CSEBase (URL/cse-in) as CAdmin.
wait_cse() {
  wait_http "$1" "$2" "$3" -H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: ready' -H 'X-M2M-RVI: 3' "$4/cse-in"
}

# ---- tools and figures ------------------------------------------------------------------------------------------
# Installs wrk when missing (as root), else fails with the command to run.
# start_silo DIR LOG URL [Silo switches...]: starts the Silo built in DIR (a release_copy's bin/silo) serving URL, with
# free Orleans ports, under $SILO_WRAP when set (for example "taskset -c 0"); adds it to PIDS, sets SILO_PID and waits
# until the CSE answers.
start_silo() {
  local dir=$1 log_file=$2 url=$3
  shift 3
  log "starting Silo on $url${SILO_WRAP:+ ($SILO_WRAP)}"
  ${SILO_WRAP:-} dotnet "$dir/VirtualIoT.Silo.dll" --contentRoot "$dir" --urls "$url" \
    --Orleans:SiloPort "$(free_port)" --Orleans:GatewayPort "$(free_port)" "$@" >"$log_file" 2>&1 &
  SILO_PID=$!
  PIDS+=("$SILO_PID")
  wait_cse silo "$SILO_PID" "$log_file" "$url"
}

# start_cse_pair DIR OUT: starts an IN-CSE (/id-in, cse-in) and an MN-CSE (/id-mn, cse-mn) registered to it from the
# Silo built in DIR (a release_copy's bin/silo), memory storage, logs OUT/in.log and OUT/mn.log; with MQTT=1 the MN
# registers over the IN's broker and its point of access is its own broker (every request between them goes over
# MQTT). Sets IN_PORT and MN_PORT (HTTP) and waits until the registration is visible at the IN.
start_cse_pair() {
  local dir=$1 out=$2 in_mqtt mn_mqtt mn_poa registrar
  IN_PORT=$(free_port); MN_PORT=$(free_port); in_mqtt=$(free_port); mn_mqtt=$(free_port)
  start_silo "$dir" "$out/in.log" "http://127.0.0.1:$IN_PORT" --Mqtt:Port "$in_mqtt" --Coap:Enabled false
  if [ "${MQTT:-0}" = 1 ]; then
    mn_poa="mqtt://127.0.0.1:$mn_mqtt"; registrar="mqtt://127.0.0.1:$in_mqtt"
  else
    mn_poa="http://127.0.0.1:$MN_PORT"; registrar="http://127.0.0.1:$IN_PORT"
  fi
  log "starting the MN-CSE on http://127.0.0.1:$MN_PORT (poa $mn_poa, registrar $registrar)"
  dotnet "$dir/VirtualIoT.Silo.dll" --contentRoot "$dir" --urls "http://127.0.0.1:$MN_PORT" \
    --Orleans:SiloPort "$(free_port)" --Orleans:GatewayPort "$(free_port)" --Mqtt:Port "$mn_mqtt" --Coap:Enabled false \
    --Cse:CseId /id-mn --Cse:CseBaseName cse-mn --Cse:Type MN --Cse:PointsOfAccess:0 "$mn_poa" \
    --Cse:RegistrarAddress "$registrar" --Cse:RegistrarCseId /id-in --Cse:RegistrationCheckInterval 00:00:01 >"$out/mn.log" 2>&1 &
  PIDS+=("$!")
  wait_http mn "$!" "$out/mn.log" -H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: ready' -H 'X-M2M-RVI: 3' "http://127.0.0.1:$MN_PORT/cse-mn"
  wait_http registration "$SILO_PID" "$out/in.log" -H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: reg' -H 'X-M2M-RVI: 3' \
    "http://127.0.0.1:$IN_PORT/cse-in/id-mn"
}

require_wrk() {
  command -v wrk >/dev/null && return 0
  if [ "$(id -u)" = 0 ]; then
    log "installing wrk (apt)"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else
    echo "wrk is not installed: apt-get install -y wrk" >&2
    exit 1
  fi
}

# CPU time (clock ticks) used so far by process $1.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The median of the numbers on stdin, one per line.
median_of() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The load average (1, 5, 15 min) now.
load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- LoadGen `load` results ---------------------------------------------------------------------------------------
# load_line FILE: the `LOAD op=…` result line a LoadGen `load` run wrote to FILE; fails, showing FILE, when there is none.
load_line() {
  local line
  line=$(grep '^LOAD op=' "$1" || true)
  if [ -z "$line" ]; then
    echo "load printed no result; see $1" >&2
    cat "$1" >&2
    return 1
  fi
  echo "$line"
}

# load_field LINE NAME: one field of a LOAD line (rps, p99_ms, …). load_errors LINE: its bad answers (bad_status +
# bad_rsc + failed).
load_field() { tr ' ' '\n' <<<"$1" | awk -F= -v n="$2" '$1 == n { print $2 }'; }
load_errors() { tr ' ' '\n' <<<"$1" | awk -F= '$1 ~ /^(bad_status|bad_rsc|failed)$/ { n += $2 } END { print n + 0 }'; }
