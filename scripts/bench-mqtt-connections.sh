#!/usr/bin/env bash
# Idle MQTT connections at scale: memory per connection and idle CPU of the embedded broker (issue: MQTT binding).
# See BENCHMARKS.md ("MQTT idle connections") for what it measures and the recorded results.
#
#   scripts/bench-mqtt-connections.sh           # about 4 minutes with the build up to date; stops everything itself
#   NO_BUILD=1 scripts/bench-mqtt-connections.sh
#   SINGLE=0 scripts/bench-mqtt-connections.sh  # skip part 1
#
# This machine gives every process at most 20,000 open files (hard limit; root without CAP_SYS_RESOURCE cannot raise
# it), and a broker needs one per connection, so one broker process cannot hold 50,000. The script therefore runs:
#   part 1: one Silo (broker inside), $SINGLE connections (default: the open-file limit minus 1,000), in steps;
#   part 2: $TOTAL connections (default 50,000) on this machine: a Silo and $GATEWAYS standalone gateways
#           (localhost clustering), each with its broker, each holding TOTAL / (1 + GATEWAYS) connections.
# Each broker gets its own client process (`VirtualIoT.LoadGen mqtt-connections`, raw-socket MQTT 3.1.1, clean
# session, keep-alive 300 s, client IDs C<prefix><n>, source addresses 127.0.0.2..), which ramps at $RATE/s with at
# most $CONCURRENCY connecting, reads the broker process's VmRSS and CPU time at each step, holds all idle for $HOLD s,
# pings every connection, retrieves the CSEBase over MQTT from a sample, and disconnects everything.
# Every connection's client ID is an AE-ID, so the gateway records each in the cluster (one MqttConnectionGrain per
# connection, in the Silo, and a refresh of all every Mqtt:ConnectionRefreshInterval, 1 min): the figures include that.
# Logs and raw output go to $OUT (default /tmp/virtualiot-bench-mqtt-connections/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TOTAL=${TOTAL:-50000}
GATEWAYS=${GATEWAYS:-2}
RATE=${RATE:-1500}                 # connections per second, per client process
CONCURRENCY=${CONCURRENCY:-64}     # connecting at once, per client process
HOLD=${HOLD:-65}                   # idle seconds in part 2 (> 60 s: includes one connection refresh of every gateway)
SINGLE_HOLD=${SINGLE_HOLD:-20}     # idle seconds in part 1
SETTLE=${SETTLE:-5}                # seconds between reaching a step and reading memory
SAMPLE=${SAMPLE:-50}               # connections per client process that retrieve the CSEBase after the hold
SILO_ARGS=${SILO_ARGS:-}
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-bench-mqtt-connections}
DEADLINE=${DEADLINE:-290}          # seconds; everything is stopped by then whatever happens

export DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production

# Open files: as many as this shell may have (the hard limit); brokers and clients inherit it.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
SINGLE=${SINGLE:-$((NOFILE - 1000))}
PER_BROKER=$(( (TOTAL + GATEWAYS) / (GATEWAYS + 1) ))
if [ "$PER_BROKER" -gt $((NOFILE - 500)) ]; then
  echo "$PER_BROKER connections per broker exceed the open-file limit ($NOFILE): raise GATEWAYS" >&2
  exit 1
fi
log "open-file limit $NOFILE per process; ephemeral ports $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range) per source address"

mkdir -p "$OUT"
rm -rf "$OUT"/*.log "$OUT"/*.txt
SILO_DIR=$OUT/bin/silo
GATEWAY_DIR=$OUT/bin/gateway
BENCH_DLL=$OUT/bin/loadgen/VirtualIoT.LoadGen.dll

# ---- processes: started in the background, always stopped on exit ----------------------------------------------
WATCHDOG=
cleanup() {
  stop_started
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Bounded in time: past the deadline, this script is sent SIGTERM and its EXIT trap stops everything.
( trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$DEADLINE" & sleeper=$!
  wait "$sleeper" && { echo "deadline of $DEADLINE s reached: stopping" >&2; kill -TERM $$; } ) 2>/dev/null &
WATCHDOG=$!

# ---- build ----------------------------------------------------------------------------------------------------
release_copy "$OUT" Silo Gateway LoadGen

# Starts a Silo; sets SILO_PID, SILO_MQTT, SILO_GATEWAY_PORT. $1 = log name.
start_silo() {
  local http silo_port
  http=$(free_port); silo_port=$(free_port); SILO_GATEWAY_PORT=$(free_port); SILO_MQTT=$(free_port)
  dotnet "$SILO_DIR/VirtualIoT.Silo.dll" --contentRoot "$SILO_DIR" --urls "http://127.0.0.1:$http" \
    --Orleans:SiloPort "$silo_port" --Orleans:GatewayPort "$SILO_GATEWAY_PORT" --Mqtt:Port "$SILO_MQTT" --Coap:Enabled false $SILO_ARGS \
    >"$OUT/$1.log" 2>&1 &
  SILO_PID=$!
  PIDS+=("$SILO_PID")
  wait_for_port "$SILO_MQTT" 60 || { tail -20 "$OUT/$1.log" >&2; exit 1; }
}

# Starts a standalone gateway against the Silo; sets GW_PID, GW_MQTT. $1 = log name.
start_gateway() {
  local http
  http=$(free_port); GW_MQTT=$(free_port)
  dotnet "$GATEWAY_DIR/VirtualIoT.Gateway.dll" --contentRoot "$GATEWAY_DIR" --urls "http://127.0.0.1:$http" \
    --Clustering:GatewayPort "$SILO_GATEWAY_PORT" --Mqtt:Port "$GW_MQTT" --Coap:Enabled false >"$OUT/$1.log" 2>&1 &
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_for_port "$GW_MQTT" 60 || { tail -20 "$OUT/$1.log" >&2; exit 1; }
}

# One client process against one broker; output to $OUT/$1.txt. $1 = name, $2 = port, $3 = broker pid,
# $4 = connections, $5 = first client index, $6 = first source address, $7 = sources, $8 = steps, $9 = hold.
run_client() {
  timeout $((DEADLINE - SECONDS > 10 ? DEADLINE - SECONDS : 10)) dotnet "$BENCH_DLL" mqtt-connections --port "$2" \
    --server-pid "$3" --connections "$4" --first-index "$5" --first-source "$6" --sources "$7" --steps "$8" \
    --hold "$9" --rate "$RATE" --concurrency "$CONCURRENCY" --settle "$SETTLE" --sample "$SAMPLE" --prefix mq \
    >"$OUT/$1.txt" 2>&1 || true
}

# A short connect-and-disconnect round so that the figures do not include JIT and first-use costs.
warm_up() { # $1 = name, $2 = port, $3 = pid, $4 = first source
  timeout 60 dotnet "$BENCH_DLL" mqtt-connections --port "$2" --server-pid "$3" --connections 1000 --first-index 900000 \
    --first-source "$4" --sources 1 --steps 1000 --hold 0 --settle 0 --sample 5 --rate 2000 --prefix mqw \
    >"$OUT/$1-warmup.txt" 2>&1 || { cat "$OUT/$1-warmup.txt" >&2; exit 1; }
}

# TCP listen queue overflows and drops (system-wide, since boot): SYNs or final ACKs a full accept backlog lost.
listen_overflows() { awk '$1 == "TcpExt:" { if (!h) { split($0, n); h = 1 } else { for (i = 2; i <= NF; i++) if (n[i] ~ /^Listen(Overflows|Drops)$/) printf "%s ", $i } }' /proc/net/netstat; }

field() { grep '^MQTTCONN connections=' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# ---- part 1: one broker up to its open-file limit --------------------------------------------------------------
if [ "$SINGLE" -gt 0 ]; then
  start_silo silo-single
  log "part 1: Silo pid $SILO_PID, broker on port $SILO_MQTT; warm-up, then $SINGLE connections from 127.0.0.2..5"
  warm_up single "$SILO_MQTT" "$SILO_PID" 127.0.0.9
  run_client single "$SILO_MQTT" "$SILO_PID" "$SINGLE" 0 127.0.0.2 4 "5000,10000,15000" "$SINGLE_HOLD"
  grep '^MQTTCONN' "$OUT/single.txt" | grep -v '^MQTTCONN connections=' >&2 || true
  stop_pids "$SILO_PID"
  PIDS=()
fi

# ---- part 2: TOTAL connections on this machine, over 1 + GATEWAYS brokers -------------------------------------------
start_silo silo
NAMES=(silo); PORTS=("$SILO_MQTT"); BROKER_PIDS=("$SILO_PID")
for g in $(seq "$GATEWAYS"); do
  start_gateway "gateway$g"
  NAMES+=("gateway$g"); PORTS+=("$GW_MQTT"); BROKER_PIDS+=("$GW_PID")
done
OVERFLOWS_BEFORE=$(listen_overflows)
log "part 2: $TOTAL connections over ${#NAMES[@]} brokers ($PER_BROKER each): ${NAMES[*]} (pids ${BROKER_PIDS[*]})"
wait_all_clients() { local p; for p in "$@"; do wait "$p" || true; done; }
WARM=()
for i in "${!NAMES[@]}"; do
  warm_up "${NAMES[$i]}" "${PORTS[$i]}" "${BROKER_PIDS[$i]}" 127.0.0.9 &
  WARM+=($!)
done
wait_all_clients "${WARM[@]}"
# Steps at 10,000 and 25,000 connections in all (each client the same share).
STEPS="$((10000 / ${#NAMES[@]})),$((25000 / ${#NAMES[@]}))"
CLIENTS=()
for i in "${!NAMES[@]}"; do
  # Two source addresses per client, 127.0.0.2.. (each well inside one address's ephemeral port range).
  run_client "${NAMES[$i]}-clients" "${PORTS[$i]}" "${BROKER_PIDS[$i]}" "$PER_BROKER" $((i * PER_BROKER)) "127.0.0.$((2 + 2 * i))" 2 "$STEPS" "$HOLD" &
  CLIENTS+=($!)
done
log "clients started (steps $STEPS per broker, hold $HOLD s)"
wait_all_clients "${CLIENTS[@]}"
SILO_FAILS=$(grep -c '^fail:' "$OUT/silo.log" || true)
OVERFLOWS_AFTER=$(listen_overflows)
ALIVE=0; for p in "${BROKER_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && ALIVE=$((ALIVE + 1)); done
cleanup

# ---- summary --------------------------------------------------------------------------------------------------
{
  echo
  echo "=== MQTT idle connections ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc --all) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), open-file limit $NOFILE)"
  if [ "$SINGLE" -gt 0 ] && [ -f "$OUT/single.txt" ]; then
    f=$OUT/single.txt
    echo "part 1, one Silo: $(field "$f" established) of $SINGLE connected (errors $(field "$f" connect_errors)) in $(field "$f" ramp_seconds) s," \
      "connect p50/p99/max $(field "$f" connect_p50_ms)/$(field "$f" connect_p99_ms)/$(field "$f" connect_max_ms) ms"
    echo "  Silo RSS MB: base $(field "$f" server_rss_base_mb), 5k $(field "$f" rss_5000_mb), 10k $(field "$f" rss_10000_mb), 15k $(field "$f" rss_15000_mb)," \
      "$SINGLE $(field "$f" rss_${SINGLE}_mb); KB per connection $(field "$f" per_conn_kb_${SINGLE}) (marginal per step:" \
      "$(field "$f" marginal_kb_5000) $(field "$f" marginal_kb_10000) $(field "$f" marginal_kb_15000) $(field "$f" marginal_kb_${SINGLE}))"
    echo "  idle ${SINGLE_HOLD} s: Silo CPU $(field "$f" idle_server_cpu_pct) % of one core; dropped $(field "$f" closed_by_broker_during_hold);" \
      "PINGREQ answered $(field "$f" ping_ok); sample $(field "$f" sample_ok)/$(field "$f" sample_checked) answered ($(field "$f" sample_rsc));" \
      "disconnect $(field "$f" disconnect_seconds) s"
  fi
  echo "part 2, $TOTAL on this machine over ${#NAMES[@]} brokers (steps: $STEPS per broker, then $PER_BROKER):"
  echo "| broker process | connected | errors | RSS base MB | at 10k total | at 25k total | at ${TOTAL} total | KB/connection | idle CPU % of a core | dropped | PINGREQ ok | sample answered | connect p50/p99/max ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  S1=${STEPS%,*}; S2=${STEPS#*,}
  for i in "${!NAMES[@]}"; do
    f=$OUT/${NAMES[$i]}-clients.txt
    echo "| ${NAMES[$i]} | $(field "$f" established) | $(field "$f" connect_errors) | $(field "$f" server_rss_base_mb) | $(field "$f" rss_${S1}_mb) |" \
      "$(field "$f" rss_${S2}_mb) | $(field "$f" rss_${PER_BROKER}_mb) | $(field "$f" per_conn_kb_${PER_BROKER}) | $(field "$f" idle_server_cpu_pct) |" \
      "$(field "$f" closed_by_broker_during_hold) | $(field "$f" ping_ok) | $(field "$f" sample_ok)/$(field "$f" sample_checked) $(field "$f" sample_rsc) |" \
      "$(field "$f" connect_p50_ms)/$(field "$f" connect_p99_ms)/$(field "$f" connect_max_ms) |"
  done
  for i in "${!NAMES[@]}"; do grep '^MQTTCONN connections=' "$OUT/${NAMES[$i]}-clients.txt"; done | tr ' ' '\n' | awk -F= -v s1="$S1" -v s2="$S2" -v n="$PER_BROKER" '
    $1 == "established" { e += $2 } $1 == "server_rss_base_mb" { b += $2 } $1 == "rss_" s1 "_mb" { r1 += $2 }
    $1 == "rss_" s2 "_mb" { r2 += $2 } $1 == "rss_" n "_mb" { r3 += $2 } $1 == "idle_server_cpu_pct" { c += $2 }
    $1 == "rss_hold_end_mb" { h += $2 } $1 == "rss_after_disconnect_mb" { d += $2 } $1 == "ping_ok" { p += $2 }
    END { printf "| all | %d | | %d | %d | %d | %d | %.1f | %.1f | | %d | | |\n", e, b, r1, r2, r3, (r3 - b) * 1024 / (e ? e : 1), c, p
          printf "total RSS of the brokers: after the %d s hold %d MB, %d s after disconnecting all %d MB\n", '"$HOLD"', h, '"$SETTLE"', d }'
  echo "TCP ListenOverflows / ListenDrops during part 2 (system-wide): $(awk -v a="$OVERFLOWS_BEFORE" -v b="$OVERFLOWS_AFTER" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%d / %d", y[1] - x[1], y[2] - x[2] }')"
  echo "brokers still running at the end: $ALIVE of ${#NAMES[@]};  'fail:' entries in the Silo log: $SILO_FAILS"
  echo "raw output: $OUT   total time: ${SECONDS} s"
} | tee "$OUT/summary.txt"
