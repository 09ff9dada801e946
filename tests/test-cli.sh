#!/usr/bin/env bash
# realtime-gateway: tests of `realtime-gateway listen|send` as operators
# script them: output format, exit codes, clear errors for bad input.
#
# Usage: test-cli.sh REALTIME_SERVER REALTIME_GATEWAY
# Functions run through rt_check, which shellcheck does not follow; the
# server takes no arguments here:
# shellcheck disable=SC2317,SC2119
set -euo pipefail

server_bin=${1:?usage: test-cli.sh REALTIME_SERVER REALTIME_GATEWAY}
gw=${2:?usage: test-cli.sh REALTIME_SERVER REALTIME_GATEWAY}
exec 2>&1

# shellcheck source=tests/support/rt-test-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/support/rt-test-lib.sh"
RT_SERVER_BIN=$server_bin
RT_GATEWAY_BIN=$gw
rt_make_work rt-cli
work=$RT_WORK

# Runs a command that must exit with CODE and print PATTERN (stderr merged).
expect_exit() {
  local code=$1 pattern=$2 rc=0
  shift 2
  timeout 30 "$@" >"$work/out" 2>&1 || rc=$?
  if [[ $rc -ne $code ]]; then
    echo "  exit $rc, expected $code: $(head -c 300 "$work/out")"
    return 1
  fi
  grep -q -- "$pattern" "$work/out" || {
    echo "  output lacks '$pattern': $(head -c 300 "$work/out")"
    return 1
  }
}

key=rtk-apikey-5ecret-7d1f2a9c
RT_API_KEY=$key
RT_KEY_FILE=$work/key
printf '%s\n' "$key" >"$work/key"
: >"$work/empty"

rt_server_start || { rt_fail "the local realtime server starts"; rt_finish; }
url=$RT_SERVER_URL
common=(--url "$url" --api-key-file "$work/key" --channel cli
  --heartbeat-interval 0.2 --join-timeout 1 --backoff-min 0.01 --backoff-max 0.2)

# Usage errors: exit 2 and say what is wrong.
rt_check "no command" expect_exit 2 "Usage" "$gw"
rt_check "unknown command" expect_exit 2 "unknown command" "$gw" frobnicate
rt_check "missing --url" expect_exit 2 "--url is required" "$gw" listen --channel x
rt_check "missing --channel" expect_exit 2 "--channel is required" "$gw" listen --url "$url"
rt_check "bad --vsn" expect_exit 2 "--vsn must be 1.0.0 or 2.0.0" "$gw" listen "${common[@]}" --vsn 3
rt_check "bad url scheme" expect_exit 2 "unsupported URL scheme" "$gw" listen --url ftp://x --channel x
rt_check "missing key file" expect_exit 2 "No such file" "$gw" listen --url "$url" --channel x --api-key-file "$work/nope"
rt_check "empty key file" expect_exit 2 "is empty" "$gw" listen --url "$url" --channel x --api-key-file "$work/empty"
rt_check "negative interval" expect_exit 2 "heartbeat-interval" "$gw" listen "${common[@]}" --heartbeat-interval -1
rt_check "zero connect timeout" expect_exit 2 "connect-timeout" "$gw" listen "${common[@]}" --connect-timeout 0
rt_check "send needs --event" expect_exit 2 "--event is required" "$gw" send "${common[@]}"
rt_check "send payload not JSON" expect_exit 2 "not JSON" "$gw" send "${common[@]}" --event e --payload '{nope'
rt_check "help" expect_exit 0 "listen" "$gw" --help

rt_check "stray argument refused" expect_exit 2 "unexpected argument" "$gw" listen "${common[@]}" stray

# The key may come from the environment; --verbose logs never show it.
printf 'rtk-token-5ecret-b4e8c6d0\n' >"$work/token"
REALTIME_API_KEY=$key rt_gateway_start listen listen --url "$url" --channel cli \
  --verbose --heartbeat-interval 0.2 --access-token-file "$work/token"
listen_pid=$RT_GATEWAY_PID
rt_check "listen joins" rt_wait_for "$work/listen.err" "channel realtime:cli joined"
# The token file is watched, as the daemon's is: a renewed token is used.
printf 'rtk-token-5ecret-93ad51f7\n' >"$work/token.new"
mv "$work/token.new" "$work/token"
rt_check "listen follows the token file" rt_wait_for "$work/listen.err" "access token reloaded from"

rt_check "send exits 0" expect_exit 0 "sent hello" "$gw" send "${common[@]}" --event hello --payload '{"n":1}'
rt_check "send --ack exits 0" expect_exit 0 "acknowledged" "$gw" send "${common[@]}" --event acked --payload '[1,2]' --ack
rt_check "listen prints one JSON line per broadcast" rt_wait_for "$work/listen.out" '"event":"acked"'
rt_check "lines in order, exact format" diff <(head -n 2 "$work/listen.out") <(printf '%s\n' \
  '{"event":"hello","payload":{"n":1}}' '{"event":"acked","payload":[1,2]}')

# Wrong key: send fails with a clear status, bounded by three join timeouts.
printf 'wrong-key\n' >"$work/wrong"
rt_check "send with a wrong key fails" expect_exit 1 "not joined in time" "$gw" send --url "$url" \
  --api-key-file "$work/wrong" --channel cli --event x --join-timeout 0.5 --backoff-max 0.1

# A server that accepts TCP and never answers: each attempt is abandoned
# at --connect-timeout and the next one follows.
# python3 is there wherever meson runs.
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$work/mute.port" &
mute_pid=$!
rt_track_pid "$mute_pid"
rt_wait_until test -s "$work/mute.port"
rt_gateway_start hang listen --url "http://127.0.0.1:$(cat "$work/mute.port")" \
  --api-key-file "$work/key" --channel cli --connect-timeout 0.3 \
  --backoff-min 0.01 --backoff-max 0.2
rt_check "listen abandons a hanging connect at --connect-timeout" \
  rt_wait_for -n 4 "$work/hang.err" "connect-timeout \(300 ms\) reached"
rt_stop_pid "$RT_GATEWAY_PID"
rt_stop_pid "$mute_pid"

kill -TERM "$listen_pid"
if wait "$listen_pid"; then rc=0; else rc=$?; fi
rt_check "listen exits 0 on SIGTERM" test "$rc" -eq 0
rt_check "no secret in verbose logs" bash -c "! grep -q -- '$key' '$work/listen.err' '$work/listen.out'"
rt_check "verbose logs redact the URL" grep -q 'apikey=\*\*\*' "$work/listen.err"

rt_finish
