#!/bin/sh
# realtime-gateway
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/soak/run.sh [DURATION_SECONDS [BUILD_DIR]]
#
# The soak test (see soak.py and README.md): the daemon against the
# standalone local realtime server for DURATION_SECONDS (default 300, the
# CI form), forced reconnects every 15 s, a pipeline start or stop every
# 10 s, resources sampled from /metrics. BUILD_DIR (default build) holds
# gateway/realtime-gateway and tests/realtime-server. Ends with
# "N passed, N failed"; exit status 0 when all passed.
set -eu
exec python3 "$(dirname "$0")/soak.py" "$@"
