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
# Functions run through rt_check, which shellcheck does not follow; the
# server takes no arguments here:
# shellcheck disable=SC2317,SC2119
set -euo pipefail

server_bin=${1:?usage: test-launch.sh REALTIME_SERVER REALTIME_GATEWAY}
gw=${2:?usage: test-launch.sh REALTIME_SERVER REALTIME_GATEWAY}
exec 2>&1

# shellcheck source=tests/support/rt-test-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../support/rt-test-lib.sh"
RT_SERVER_BIN=$server_bin
RT_GATEWAY_BIN=$gw
rt_make_work rt-launch
work=$RT_WORK

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

bigger_than() { (($(size_of "$1") > $2)); }

# Waits (bounded) until FILE is larger than BYTES.
wait_grows() { # FILE BYTES [SECONDS]
  rt_wait_until -t "${3:-10}" bigger_than "$1" "$2" && return 0
  echo "  ${1##*/} stayed at $(size_of "$1") bytes"
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

# A REST broadcast on channel robot-7 (robot-8), as an operator's backend
# would send it.
rest() { rt_broadcast robot-7 "$1" "$2" >/dev/null; }
rest8() { rt_broadcast robot-8 "$1" "$2" >/dev/null; }

key=rtk-apikey-5ecret-7d1f2a9c
RT_API_KEY=$key
RT_KEY_FILE=$work/key
printf '%s\n' "$key" >"$work/key"

rt_server_start || { rt_fail "the local realtime server starts"; rt_finish; }
url=$RT_SERVER_URL

rt_check "gst-inspect-1.0 describes realtimesrc" bash -c \
  "gst-inspect-1.0 realtimesrc >'$work/inspect' 2>&1 && grep -q 'Source/Video/Network' '$work/inspect' \
   && grep -q 'restart-on-error' '$work/inspect' && grep -q 'stats' '$work/inspect'"

# Another client on the channel, as a dashboard: prints every broadcast.
rt_gateway_start listen listen --url "$url" --api-key-file "$work/key" \
  --channel robot-7 --heartbeat-interval 0.5
rt_check "listener joins" rt_wait_for "$work/listen.err" "joined"

gst-launch-1.0 -m realtimesrc name=cam url="$url" api-key-file="$work/key" \
  channel=robot-7 heartbeat-interval=500 \
  source="videotestsrc is-live=true ! capsfilter caps=video/x-raw,format=GRAY8,width=32,height=24,framerate=25/1" \
  ! filesink location="$work/frames.raw" >"$work/launch.out" 2>&1 &
launch_pid=$!
rt_track_pid "$launch_pid"
rt_log_file "$work/launch.out"

rt_check "realtimesrc joins the channel" rt_wait_for "$work/launch.out" "what=\(string\)channel, state=\(string\)joined"
rt_check "pipeline is PLAYING before any start" rt_wait_for "$work/launch.out" "Setting pipeline to PLAYING"
rt_check "no frames before the start" stays_put "$work/frames.raw" 0.5
rt_check "no frames before the start (empty)" test "$(size_of "$work/frames.raw")" -eq 0

rt_check "REST start accepted" rest start '{"pipeline":"cam","request_id":"go-1"}'
rt_check "start broadcast posted on the bus" rt_wait_for "$work/launch.out" "realtime-broadcast, event=\(string\)start"
rt_check "frames reach the file" wait_grows "$work/frames.raw" $((32 * 24 * 10)) 10
rt_check "source reported playing on the bus" rt_wait_for "$work/launch.out" "what=\(string\)source, state=\(string\)playing"
rt_check "dashboard sees pipeline_state playing" rt_wait_for "$work/listen.out" '"state":"playing","request_id":"go-1"'

rt_check "REST stop accepted" rest stop '{"request_id":"stop-1"}'
rt_check "dashboard sees pipeline_state stopped" rt_wait_for "$work/listen.out" '"state":"stopped","request_id":"stop-1"'
rt_check "no frames after the stop" stays_put "$work/frames.raw" 0.7
rt_check "frames are whole" bash -c "(( \$(stat -c %s '$work/frames.raw') % (32 * 24) == 0 ))"
rt_check "gst-launch still running after the stop" kill -0 "$launch_pid"

rt_check "a second start works" rest start '{"request_id":"go-2"}'
before=$(size_of "$work/frames.raw")
rt_check "frames again" wait_grows "$work/frames.raw" "$before" 10

kill -INT "$launch_pid"
rc=0
timeout 10 tail --pid="$launch_pid" -f /dev/null || rc=$?
rt_check "gst-launch ends within 10 s of SIGINT" test "$rc" -eq 0
wait "$launch_pid" && launch_rc=0 || launch_rc=$?
rt_check "gst-launch exits 0" test "$launch_rc" -eq 0
rt_check "dashboard hears that it shut down" rt_wait_for -t 5 "$work/listen.out" '"state":"stopped".*shutting down'
rt_check "no error on the bus" bash -c "! grep -q '^ERROR' '$work/launch.out'"
rt_check "the key appears in no output" bash -c \
  "! grep -qF -- '$key' '$work/launch.out' '$work/listen.out' '$work/listen.err' '$work/inspect'"

# gst-launch-1.0 -e (as a systemd unit with KillSignal=SIGINT runs it):
# Ctrl-C sends EOS, which must get through the running source to the sink.
gst-launch-1.0 -e realtimesrc url="$url" api-key-file="$work/key" \
  channel=robot-8 heartbeat-interval=500 \
  source="videotestsrc is-live=true ! capsfilter caps=video/x-raw,format=GRAY8,width=32,height=24,framerate=25/1" \
  ! filesink location="$work/eos.raw" >"$work/eos.out" 2>&1 &
eos_pid=$!
rt_track_pid "$eos_pid"
rt_log_file "$work/eos.out"
rt_check "-e: realtimesrc joins" rt_wait_for "$work/eos.out" "Setting pipeline to PLAYING"
sleep 0.5
rt_check "-e: REST start accepted" rest8 start '{}'
rt_check "-e: frames reach the file" wait_grows "$work/eos.raw" 0 10
kill -INT "$eos_pid"
rc=0
timeout 10 tail --pid="$eos_pid" -f /dev/null || rc=$?
rt_check "-e: gst-launch ends within 10 s of SIGINT" test "$rc" -eq 0
wait "$eos_pid" && eos_rc=0 || eos_rc=$?
rt_check "-e: exits 0" test "$eos_rc" -eq 0
rt_check "-e: the EOS reached the sink" grep -q "Got EOS from element" "$work/eos.out"

rt_finish
