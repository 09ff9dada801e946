#!/usr/bin/env bash
# realtime-gateway: realtimesrc in a real gst-launch-1.0, the plugin loaded
# from the build tree (GST_PLUGIN_PATH_1_0), against the standalone local
# realtime server: it joins, a start makes frames reach a file, a stop ends
# them (the pipeline keeps running), the outcomes reach another client on
# the channel as pipeline_state broadcasts, SIGINT ends it cleanly, and the
# key appears nowhere.
#
# Usage: test-launch.sh REALTIME_SERVER REALTIME_GATEWAY
# Environment: GST_PLUGIN_PATH_1_0 (the plugin's build directory)
set -euo pipefail

server_bin=${1:?usage: test-launch.sh REALTIME_SERVER REALTIME_GATEWAY}
gw=${2:?usage: test-launch.sh REALTIME_SERVER REALTIME_GATEWAY}
exec 2>&1

work=$(mktemp -d "${TMPDIR:-/tmp}/rt-launch.XXXXXX")
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

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

# Waits (bounded) until FILE is larger than BYTES.
wait_grows() {
  local file=$1 bytes=$2 end=$((SECONDS + ${3:-10}))
  while ((SECONDS < end)); do
    (($(size_of "$file") > bytes)) && return 0
    sleep 0.05
  done
  echo "  ${file##*/} stayed at $(size_of "$file") bytes"
  return 1
}

# True when FILE does not grow for SECS seconds.
stays_put() {
  local file=$1 before
  before=$(size_of "$file")
  sleep "$2"
  [[ $(size_of "$file") -eq $before ]] || {
    echo "  ${file##*/} grew from $before to $(size_of "$file") bytes"
    return 1
  }
}

# A REST broadcast, as an operator's backend would send it.
rest() { # event payload-json
  curl -sS -o /dev/null -w '%{http_code}' -X POST "$url/realtime/v1/api/broadcast" \
    -H "apikey: $key" -H 'Content-Type: application/json' \
    -d "{\"messages\":[{\"topic\":\"robot-7\",\"event\":\"$1\",\"payload\":$2}]}" \
    | grep -q 202
}

rest8() { # the same on channel robot-8
  curl -sS -o /dev/null -w '%{http_code}' -X POST "$url/realtime/v1/api/broadcast" \
    -H "apikey: $key" -H 'Content-Type: application/json' \
    -d "{\"messages\":[{\"topic\":\"robot-8\",\"event\":\"$1\",\"payload\":$2}]}" \
    | grep -q 202
}

key=rtk-apikey-5ecret-7d1f2a9c
printf '%s\n' "$key" >"$work/key"

"$server_bin" --port 0 --api-key-file "$work/key" >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
wait_for "$work/server.out" "listening on" 10
url=$(sed -n 's/^listening on //p' "$work/server.out" | head -n 1)

check "gst-inspect-1.0 describes realtimesrc" bash -c \
  "gst-inspect-1.0 realtimesrc >'$work/inspect' 2>&1 && grep -q 'Source/Video/Network' '$work/inspect' \
   && grep -q 'restart-on-error' '$work/inspect' && grep -q 'stats' '$work/inspect'"

# Another client on the channel, as a dashboard: prints every broadcast.
"$gw" listen --url "$url" --api-key-file "$work/key" --channel robot-7 \
  --heartbeat-interval 0.5 >"$work/listen.out" 2>"$work/listen.err" &
pids+=($!)
check "listener joins" wait_for "$work/listen.err" "joined" 10

gst-launch-1.0 -m realtimesrc name=cam url="$url" api-key-file="$work/key" \
  channel=robot-7 heartbeat-interval=500 \
  source="videotestsrc is-live=true ! capsfilter caps=video/x-raw,format=GRAY8,width=32,height=24,framerate=25/1" \
  ! filesink location="$work/frames.raw" >"$work/launch.out" 2>&1 &
launch_pid=$!
pids+=("$launch_pid")

check "realtimesrc joins the channel" wait_for "$work/launch.out" "what=(string)channel, state=(string)joined" 10
check "pipeline is PLAYING before any start" wait_for "$work/launch.out" "Setting pipeline to PLAYING" 10
check "no frames before the start" stays_put "$work/frames.raw" 0.5
check "no frames before the start (empty)" test "$(size_of "$work/frames.raw")" -eq 0

check "REST start accepted" rest start '{"pipeline":"cam","request_id":"go-1"}'
check "start broadcast posted on the bus" wait_for "$work/launch.out" "realtime-broadcast, event=(string)start" 10
check "frames reach the file" wait_grows "$work/frames.raw" $((32 * 24 * 10)) 10
check "source reported playing on the bus" wait_for "$work/launch.out" "what=(string)source, state=(string)playing" 10
check "dashboard sees pipeline_state playing" wait_for "$work/listen.out" '"state":"playing","request_id":"go-1"' 10

check "REST stop accepted" rest stop '{"request_id":"stop-1"}'
check "dashboard sees pipeline_state stopped" wait_for "$work/listen.out" '"state":"stopped","request_id":"stop-1"' 10
check "no frames after the stop" stays_put "$work/frames.raw" 0.7
check "frames are whole" bash -c "(( \$(stat -c %s '$work/frames.raw') % (32 * 24) == 0 ))"
check "gst-launch still running after the stop" kill -0 "$launch_pid"

check "a second start works" rest start '{"request_id":"go-2"}'
before=$(size_of "$work/frames.raw")
check "frames again" wait_grows "$work/frames.raw" "$before" 10

kill -INT "$launch_pid"
rc=0
timeout 10 tail --pid="$launch_pid" -f /dev/null || rc=$?
check "gst-launch ends within 10 s of SIGINT" test "$rc" -eq 0
wait "$launch_pid" && launch_rc=0 || launch_rc=$?
check "gst-launch exits 0" test "$launch_rc" -eq 0
check "dashboard hears that it shut down" wait_for "$work/listen.out" '"state":"stopped".*realtimesrc shut down' 5
check "no error on the bus" bash -c "! grep -q '^ERROR' '$work/launch.out'"
check "the key appears in no output" bash -c \
  "! grep -qF -- '$key' '$work/launch.out' '$work/listen.out' '$work/listen.err' '$work/inspect'"

# gst-launch-1.0 -e (as a systemd unit with KillSignal=SIGINT runs it):
# Ctrl-C sends EOS, which must get through the running source to the sink.
gst-launch-1.0 -e realtimesrc url="$url" api-key-file="$work/key" \
  channel=robot-8 heartbeat-interval=500 \
  source="videotestsrc is-live=true ! capsfilter caps=video/x-raw,format=GRAY8,width=32,height=24,framerate=25/1" \
  ! filesink location="$work/eos.raw" >"$work/eos.out" 2>&1 &
eos_pid=$!
pids+=("$eos_pid")
check "-e: realtimesrc joins" wait_for "$work/eos.out" "Setting pipeline to PLAYING" 10
sleep 0.5
check "-e: REST start accepted" rest8 start '{}'
check "-e: frames reach the file" wait_grows "$work/eos.raw" 0 10
kill -INT "$eos_pid"
rc=0
timeout 10 tail --pid="$eos_pid" -f /dev/null || rc=$?
check "-e: gst-launch ends within 10 s of SIGINT" test "$rc" -eq 0
wait "$eos_pid" && eos_rc=0 || eos_rc=$?
check "-e: exits 0" test "$eos_rc" -eq 0
check "-e: the EOS reached the sink" grep -q "Got EOS from element" "$work/eos.out"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
