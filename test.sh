#!/usr/bin/env bash
# The README's test command: builds the solution and runs every test against real components on loopback.
# Results (TRX) land in TestResults/ so .ci/run can count them.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

rm -rf TestResults
dotnet build VirtualIoT.sln -c Release -nologo -clp:ErrorsOnly
dotnet test VirtualIoT.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory TestResults "$@"
