#!/usr/bin/env bash
# How soon an instance of an announced container reaches the IN-CSE (issue #21: within 100 ms p99); see BENCHMARKS.md
# ("Retargeting and remote CSEs"). The same IN-CSE/MN-CSE pair as bench-retarget.sh, driven by
# scripts/bench/announce.py.
#   scripts/bench-announce.sh                 COUNT=500 instances, one at a time; NO_BUILD=1 to reuse the build
#   MQTT=1 scripts/bench-announce.sh          the MN-CSE registered over MQTT: the announcements go over the IN's broker
DRIVER=announce exec "$(dirname "$0")/bench-retarget.sh" "$@"
