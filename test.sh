#!/usr/bin/env bash
# The README's test command: builds the solution, starts the real servers the back-end tests need (a throwaway
# PostgreSQL and Azurite's table service, on free loopback ports, installed if missing), runs every test and
# stops the servers again. Results (TRX) land in TestResults/ so .ci/run can count them.
#
# ./test.sh --fast: the developer loop. Builds, then runs only the tests that start no external process or server
# (no PostgreSQL, Azurite, Chromium, silo cluster, LoadGen or chaos run): every test class without
# [Trait("Speed", "Slow")]. Extra arguments go to dotnet test in both modes.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ "${1:-}" = "--fast" ]; then
  shift
  dotnet build VirtualIoT.sln -c Release -nologo -clp:ErrorsOnly
  # Most fast tests wait on sockets and timers rather than the CPU: twice the full run's test threads.
  exec dotnet test VirtualIoT.sln -c Release --no-build -nologo --filter "Speed!=Slow" --blame-hang-timeout 5m \
    --blame-hang-dump-type none "$@" -- xUnit.MaxParallelThreads=4x
fi

# Servers of this run only, so a developer's own scripts/pg.sh or scripts/azurite.sh stays untouched.
export VIRTUALIOT_PG_STATE=${TMPDIR:-/tmp}/virtualiot-test-pg-$$
export VIRTUALIOT_AZURITE_STATE=${TMPDIR:-/tmp}/virtualiot-test-azurite-$$
stop_servers() {
  scripts/pg.sh stop || true
  scripts/azurite.sh stop || true
}
trap stop_servers EXIT

rm -rf TestResults
# The resource browser test drives a real headless Chromium (tests/VirtualIoT.Tests/Operations).
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium for the resource browser test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >&2
fi
# The CoAP binding is tested against libcoap's stock client (tests/VirtualIoT.Tests/Coap).
if ! command -v coap-client-notls >/dev/null 2>&1; then
  echo "installing libcoap3-bin (coap-client-notls) for the CoAP binding tests" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libcoap3-bin) >&2
fi
dotnet build VirtualIoT.sln -c Release -nologo -clp:ErrorsOnly
VIRTUALIOT_TEST_POSTGRES=$(scripts/pg.sh start)
VIRTUALIOT_TEST_AZURITE=$(scripts/azurite.sh start)
export VIRTUALIOT_TEST_POSTGRES VIRTUALIOT_TEST_AZURITE
# A test (or a class's cleanup) that makes no progress for 10 minutes ends the run as a named failure instead of
# holding CI until its time limit: the blame collector names the tests in flight and stops the test host. The
# longest test takes about a minute on a quiet machine.
dotnet test VirtualIoT.sln -c Release --no-build -nologo --blame-hang-timeout 10m --blame-hang-dump-type none \
  --logger "trx" --logger "console;verbosity=normal" --results-directory TestResults "$@"
