#!/usr/bin/env bash
# realtime-gateway: tests of `realtime-gateway listen|send` as operators
# script them: output format, exit codes, clear errors for bad input.
#
# Usage: test-cli.sh REALTIME_SERVER REALTIME_GATEWAY
set -euo pipefail

server_bin=${1:?usage: test-cli.sh REALTIME_SERVER REALTIME_GATEWAY}
gw=${2:?usage: test-cli.sh REALTIME_SERVER REALTIME_GATEWAY}
exec 2>&1

work=$(mktemp -d "${TMPDIR:-/tmp}/rt-cli.XXXXXX")
pids=()
passed=0
failed=0

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

check() { # name, then a command that must succeed
  local name=$1
  shift
  if "$@"; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failed=$((failed + 1))
  fi
}

# Waits (bounded) until FILE contains PATTERN.
wait_for() {
  local file=$1 pattern=$2 secs=${3:-10} end=$((SECONDS + ${3:-10}))
  while ((SECONDS < end)); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "  timed out after ${secs}s waiting for '$pattern' in ${file##*/}"
  return 1
}

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
printf '%s\n' "$key" >"$work/key"
: >"$work/empty"

"$server_bin" --port 0 --api-key-file "$work/key" >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
wait_for "$work/server.out" "listening on" 10
url=$(sed -n 's/^listening on //p' "$work/server.out" | head -n 1)
common=(--url "$url" --api-key-file "$work/key" --channel cli
  --heartbeat-interval 0.2 --join-timeout 1 --backoff-min 0.01 --backoff-max 0.2)

# Usage errors: exit 2 and say what is wrong.
check "no command" expect_exit 2 "Usage" "$gw"
check "unknown command" expect_exit 2 "unknown command" "$gw" frobnicate
check "missing --url" expect_exit 2 "--url is required" "$gw" listen --channel x
check "missing --channel" expect_exit 2 "--channel is required" "$gw" listen --url "$url"
check "bad --vsn" expect_exit 2 "--vsn must be 1.0.0 or 2.0.0" "$gw" listen "${common[@]}" --vsn 3
check "bad url scheme" expect_exit 2 "unsupported URL scheme" "$gw" listen --url ftp://x --channel x
check "missing key file" expect_exit 2 "No such file" "$gw" listen --url "$url" --channel x --api-key-file "$work/nope"
check "empty key file" expect_exit 2 "is empty" "$gw" listen --url "$url" --channel x --api-key-file "$work/empty"
check "negative interval" expect_exit 2 "heartbeat-interval" "$gw" listen "${common[@]}" --heartbeat-interval -1
check "send needs --event" expect_exit 2 "--event is required" "$gw" send "${common[@]}"
check "send payload not JSON" expect_exit 2 "not JSON" "$gw" send "${common[@]}" --event e --payload '{nope'
check "help" expect_exit 0 "listen" "$gw" --help

check "stray argument refused" expect_exit 2 "unexpected argument" "$gw" listen "${common[@]}" stray

# The key may come from the environment; --verbose logs never show it.
REALTIME_API_KEY=$key "$gw" listen --url "$url" --channel cli --verbose \
  --heartbeat-interval 0.2 >"$work/listen.out" 2>"$work/listen.err" &
pids+=($!)
listen_pid=$!
check "listen joins" wait_for "$work/listen.err" "channel realtime:cli joined" 10

check "send exits 0" expect_exit 0 "sent hello" "$gw" send "${common[@]}" --event hello --payload '{"n":1}'
check "send --ack exits 0" expect_exit 0 "acknowledged" "$gw" send "${common[@]}" --event acked --payload '[1,2]' --ack
check "listen prints one JSON line per broadcast" wait_for "$work/listen.out" '"event":"acked"' 10
check "lines in order, exact format" diff <(head -n 2 "$work/listen.out") <(printf '%s\n' \
  '{"event":"hello","payload":{"n":1}}' '{"event":"acked","payload":[1,2]}')

# Wrong key: send fails with a clear status, bounded by three join timeouts.
printf 'wrong-key\n' >"$work/wrong"
check "send with a wrong key fails" expect_exit 1 "not joined in time" "$gw" send --url "$url" \
  --api-key-file "$work/wrong" --channel cli --event x --join-timeout 0.5 --backoff-max 0.1

kill -TERM "$listen_pid"
if wait "$listen_pid"; then rc=0; else rc=$?; fi
check "listen exits 0 on SIGTERM" test "$rc" -eq 0
check "no secret in verbose logs" bash -c "! grep -q -- '$key' '$work/listen.err' '$work/listen.out'"
check "verbose logs redact the URL" grep -q 'apikey=\*\*\*' "$work/listen.err"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
