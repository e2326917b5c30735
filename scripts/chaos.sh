#!/usr/bin/env bash
# Chaos run (docs/loadgen-and-chaos.md, BENCHMARKS.md "Chaos"): a throwaway PostgreSQL (scripts/pg.sh, own state folder), a
# Release build, then `LoadGen chaos` with 3 silos and 2 standalone gateways on PostgreSQL membership and storage:
# devices write through the gateways while a random silo is SIGKILLed every 30 s and started again 10 s later;
# afterwards every container is read back. Exit code 0 when nothing acknowledged was lost or duplicated.
#
#   scripts/chaos.sh                                  # 2 minutes, the defaults of `LoadGen chaos`
#   scripts/chaos.sh --duration 10m --results chaos.json
#   scripts/chaos.sh --pause-every 45s --kill-gateway-every 60s
#   scripts/chaos.sh --storage azuretable             # grain storage on Azure Table storage (a throwaway Azurite)
#   scripts/chaos.sh --protocol mqtt                  # devices over MQTT (the gateways' brokers)
#   scripts/chaos.sh --postgres-restart-at 50s        # the database stopped for --postgres-down-for (10 s) mid-run
#   scripts/chaos.sh --cluster-restart-at 50s         # every silo and gateway killed, all started again
#
# Arguments are passed to `LoadGen chaos` (see `dotnet run --project LoadGen -- chaos --help`); the script adds the
# commands that stop and start its PostgreSQL (scripts/pg.sh down / up) and, with `--storage azuretable`, starts
# Azurite (scripts/azurite.sh) and passes its connection string. NO_BUILD=1 skips the build; OUT names the folder for
# the PostgreSQL and Azurite state and the process logs (default /tmp/virtualiot-chaos).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
OUT=${OUT:-${TMPDIR:-/tmp}/virtualiot-chaos}
export VIRTUALIOT_PG_STATE=$OUT/pg VIRTUALIOT_AZURITE_STATE=$OUT/azurite
mkdir -p "$OUT"

AZURE=0
previous=""
for argument in "$@"; do
  [ "$previous" = --storage ] && [ "$argument" = azuretable ] && AZURE=1
  previous=$argument
done

cleanup() {
  scripts/pg.sh stop >/dev/null 2>&1 || true
  [ "$AZURE" = 1 ] && scripts/azurite.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

release_copy "$OUT" Silo Gateway LoadGen
# The cluster's processes take the cores ahead of other work on a shared machine (root, cgroup v1; else skipped).
enter_priority_cgroup

PG=$(scripts/pg.sh start)
log "PostgreSQL: $PG"
EXTRA=(--postgres-down "$REPO_ROOT/scripts/pg.sh down" --postgres-up "$REPO_ROOT/scripts/pg.sh up")
if [ "$AZURE" = 1 ]; then
  AZ=$(scripts/azurite.sh start)
  log "Azurite: ${AZ##*TableEndpoint=}"
  EXTRA+=(--azure-table "$AZ")
fi
dotnet "$OUT/bin/loadgen/VirtualIoT.LoadGen.dll" chaos \
  --silo-dll "$OUT/bin/silo/VirtualIoT.Silo.dll" --gateway-dll "$OUT/bin/gateway/VirtualIoT.Gateway.dll" \
  --postgres "$PG" --silos 3 --gateways 2 --logs "$OUT/logs" "${EXTRA[@]}" "$@"
