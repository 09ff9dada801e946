#!/usr/bin/env bash
# realtime-gateway: the operator's console (console/) in a real browser.
#
# Usage: run-browser.sh REALTIME_SERVER REALTIME_GATEWAY CONSOLE_DIR SHOTS_DIR
#                       [PLUGIN_DIR]
#
# Starts, on loopback: the local realtime server, two `realtime-gateway run`
# with different pipelines (robot-a on channel robot-a, robot-b on robot-b
# with a WebRTC output, presence on), a realtimesrc injector in gst-launch-1.0 on channel robot-c
# (with PLUGIN_DIR, the build's plugin), and `realtime-gateway console`;
# then console.test.mjs drives
# headless Chromium over the DevTools protocol (puppeteer-core, pinned in
# package-lock.json, `npm ci` in this folder) through the console: both
# robots appear with their catalogs; a start from the form reaches the
# robot, its states appear in order, a stop ends it; an out-of-bounds value
# is refused in the form and, sent anyway, the robot's reason is shown; the
# page renews the lease it holds while open, and once it is closed the lease
# lapses and the robot stops the pipeline; the viewer watches a stand-in
# WebRTC sender and robot-b's shipped WebRTC test pattern
# (pipelines/test-pattern-webrtc.pipeline), two viewers at once, decoded
# within a bound, and a closed page's viewer lapses; every signalling
# message a `realtime-gateway listen` hears on those channels is valid
# against docs/schema (ajv).
# Screenshots of each step go to SHOTS_DIR (meson's log directory,
# browser/). Prints "PASS name" / "FAIL name" per check and "N passed, N
# failed"; exits 77 (skipped) without node, chromium or
# tests/browser/node_modules.
#
# Chromium runs headless with --no-sandbox (the tests run as root),
# --allow-loopback-in-peer-connection and
# --disable-features=WebRtcHideLocalIpsWithMdns (ICE candidates on
# loopback, as they are, for WebRTC viewing), and background throttling
# off (two pages at once): console.test.mjs lists the flags.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
server_bin=${1:?usage: run-browser.sh REALTIME_SERVER REALTIME_GATEWAY CONSOLE_DIR SHOTS_DIR}
gateway_bin=${2:?}
console_dir=${3:?}
shots=${4:?}
plugin_dir=${5:-}
exec 2>&1

# shellcheck source=tests/support/rt-test-lib.sh
source "$here/../support/rt-test-lib.sh"
RT_SERVER_BIN=$server_bin
RT_GATEWAY_BIN=$gateway_bin
RT_WAIT_SECONDS=${RT_BROWSER_WAIT:-30}

chromium_bin=${RT_CHROMIUM:-$(command -v chromium || true)}
command -v node >/dev/null 2>&1 || rt_skip "node is not on PATH"
[[ -n $chromium_bin && -x $chromium_bin ]] || rt_skip "chromium is not installed (scripts/deps.sh installs it)"
[[ -f $here/node_modules/puppeteer-core/package.json ]] \
  || rt_skip "tests/browser/node_modules is missing: run 'npm ci' in $here"

rt_make_work rt-browser
work=$RT_WORK
mkdir -p "$shots"
rm -f "$shots"/*.png

# The suites' fixed test key: scripts/test greps every log for it.
RT_API_KEY=rtk-apikey-5ecret-7d1f2a9c
RT_KEY_FILE=$work/key
(umask 077 && printf '%s\n' "$RT_API_KEY" >"$RT_KEY_FILE")

# shellcheck disable=SC2119  # no extra server arguments
rt_server_start || { rt_fail "the local realtime server starts"; rt_finish; }

# Two robots with different pipelines. Small raw test patterns to a UDP
# port nobody reads (cheap on a loaded machine), a recording, and a
# pipeline with a 4 s default lease for the lapse check.
rtp_port=$(rt_free_port)
mkdir -p "$work/a" "$work/b" "$work/rec"
cat >"$work/a/pattern-rtp.pipeline" <<PIPE
[pipeline]
description=videotestsrc is-live=true name=src ! video/x-raw,format=I420,width=160,height=120,framerate=10/1 ! rtpvrawpay ! udpsink name=sink sync=false async=false host=127.0.0.1 port=$rtp_port
summary=small test pattern, raw video over RTP/UDP
default-ttl=60
max-ttl=600

[param:pattern]
element=src
property=pattern
type=enum
values=smpte;ball;snow
default=smpte
description=videotestsrc pattern

[param:port]
element=sink
property=port
type=int
min=1024
max=65535
default=$rtp_port
description=destination UDP port
PIPE
cat >"$work/a/short-lease.pipeline" <<PIPE
[pipeline]
description=videotestsrc is-live=true name=src ! video/x-raw,width=160,height=120,framerate=10/1 ! fakesink name=sink sync=false
summary=test pattern held by a 4 s lease
default-ttl=4
max-ttl=30
PIPE
cat >"$work/b/pattern-file.pipeline" <<PIPE
[pipeline]
description=videotestsrc is-live=true name=src ! video/x-raw,format=I420,width=160,height=120,framerate=10/1 ! filesink name=sink location=\${RECORDINGS_DIR}/browser.raw
summary=small test pattern recorded raw
default-ttl=60
max-ttl=600

[param:speed]
element=src
property=horizontal-speed
type=int
min=-20
max=20
default=0
description=pattern motion, pixels per frame

[param:file]
element=sink
property=location
type=string
pattern=^[a-z][a-z0-9-]{0,31}\$
max-length=32
prefix=\${RECORDINGS_DIR}/
suffix=.raw
default=browser
description=recording name
PIPE

# WebRTC viewing (issue 14): robot-b also has the shipped WebRTC test
# pattern (pipelines/test-pattern-webrtc.pipeline: 640x360, H.264).
cp "$here/../../pipelines/test-pattern-webrtc.pipeline" "$work/b/"

gateway_conf() { # ID DIR
  cat <<CONF
[realtime]
url=$RT_SERVER_URL
api-key-file=$RT_KEY_FILE
channel=$1
heartbeat-interval=5
join-timeout=5
backoff-min=0.2
backoff-max=2

[gateway]
id=$1
pipelines-dirs=$2
recordings-dir=$work/rec
presence=true
CONF
}
gateway_conf robot-a "$work/a" >"$work/robot-a.conf"
gateway_conf robot-b "$work/b" >"$work/robot-b.conf"
declare -A robot_pid=()
for robot in robot-a robot-b; do
  rt_gateway_start "$robot" run --config "$work/$robot.conf"
  robot_pid[$robot]=$RT_GATEWAY_PID
  rt_wait_for -p "$RT_GATEWAY_PID" "$work/$robot.err" "channel realtime:$robot joined" \
    || { rt_fail "$robot joins its channel"; rt_finish; }
done

# The page's copy of realtime-js is what the pinned esbuild makes from the
# pinned package (console/vendor.mjs), byte for byte.
if [[ -f $console_dir/node_modules/esbuild/package.json ]]; then
  if (cd "$console_dir" && timeout 60 node vendor.mjs "$work/realtime-js.js") \
    && cmp -s "$work/realtime-js.js" "$console_dir/vendor/realtime-js.js"; then
    rt_pass "console/vendor/realtime-js.js is the pinned bundle"
  else
    rt_fail "console/vendor/realtime-js.js is the pinned bundle" "differs: run 'npm ci && npm run vendor' in console/"
  fi
else
  echo "SKIP vendored bundle check: console/node_modules is missing (npm ci in console/)"
fi

# robot-b answers WebRTC signalling: every message gets a session_state,
# an unknown session's unwatch too ("ended" or "failed", with its
# request_id).
# shellcheck disable=SC2317  # run through rt_check
answers_signalling() {
  local pid rc=0
  rt_gateway_start probe listen --url "$RT_SERVER_URL" --api-key-file "$RT_KEY_FILE" --channel robot-b
  pid=$RT_GATEWAY_PID
  rt_wait_for -p "$pid" "$work/probe.err" 'joined' >/dev/null \
    && rt_broadcast robot-b unwatch '{"session_id":"probe-session-1","request_id":"probe"}' >/dev/null \
    && rt_wait_for -t 10 -p "$pid" "$work/probe.out" '"session_state".*"session_id":"probe-session-1"' >/dev/null \
    || rc=1
  rt_stop_pid "$pid"
  return "$rc"
}
rt_check "robot-b answers WebRTC signalling (unwatch of an unknown session: session_state)" answers_signalling

# A realtimesrc injector: no presence, it answers describe with its one
# pipeline (named after the element) and its params file's params.
injector=0
if [[ -n $plugin_dir ]] && command -v gst-launch-1.0 >/dev/null 2>&1; then
  cat >"$work/front-door.params" <<PIPE
[param:pattern]
element=src
property=pattern
type=enum
values=smpte;ball;snow
default=snow
description=videotestsrc pattern
PIPE
  GST_PLUGIN_PATH=$plugin_dir gst-launch-1.0 -q realtimesrc name=front-door \
    url="$RT_SERVER_URL" api-key-file="$RT_KEY_FILE" channel=robot-c \
    describe-event=describe catalog-event=catalog default-ttl=60 \
    source="videotestsrc is-live=true name=src ! video/x-raw,width=160,height=120,framerate=10/1" \
    params-file="$work/front-door.params" ! fakesink sync=false \
    >"$work/injector.out" 2>"$work/injector.err" &
  rt_track_pid $!
  rt_log_file "$work/injector.err"
  rt_wait_for -p $! "$work/server.err" 'joined realtime:robot-c ' \
    && injector=1
fi

rt_gateway_start console console --listen 127.0.0.1:0 --root "$console_dir"
rt_wait_for -p "$RT_GATEWAY_PID" "$work/console.out" '^console at http' \
  || { rt_fail "realtime-gateway console serves the page"; rt_finish; }
console_url=$(sed -n 's/^console at \(http[^#]*\).*/\1/p' "$work/console.out" | head -n 1)
rt_pass "realtime-gateway console serves the page ($console_url)"

# Only the page's own files, GET and HEAD; a bad --listen or --root is
# refused at once.
# shellcheck disable=SC2317  # run through rt_check
http_code() { # METHOD PATH
  curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -X "$1" "${console_url%/}$2" || true
}
# shellcheck disable=SC2317  # run through rt_check
served_ok() {
  [[ $(http_code GET /) == 200 && $(http_code GET /src/main.js) == 200 \
    && $(http_code GET /vendor/realtime-js.js) == 200 && $(http_code HEAD /style.css) == 200 ]]
}
# shellcheck disable=SC2317  # run through rt_check
nothing_else() {
  [[ $(http_code GET /package.json) == 404 && $(http_code GET /node_modules/esbuild/package.json) == 404 \
    && $(http_code GET /vendor.mjs) == 404 && $(http_code GET /src/nope.js) == 404 \
    && $(http_code GET /%2e%2e/README.md) == 404 && $(http_code POST /) == 405 ]]
}
# shellcheck disable=SC2317  # run through rt_check
refused() { # EXIT ARG...: the console command exits EXIT at once
  local rc=0
  timeout 10 "$gateway_bin" console "${@:2}" >/dev/null 2>&1 || rc=$?
  ((rc == $1))
}
# shellcheck disable=SC2317  # run through rt_check
headers_ok() { # the page's Content-Security-Policy and no sniffing
  local h
  h=$(curl -sS -D - -o /dev/null --max-time 10 "$console_url" | tr -d '\r') || return 1
  grep -qi "^content-security-policy: default-src 'self'; connect-src 'self' ws: wss: http: https:;" <<<"$h" \
    && grep -qi '^x-content-type-options: nosniff' <<<"$h"
}
# shellcheck disable=SC2317  # run through rt_check
# console_run OUT ERR ARG...: a second console, until it printed its URL
console_run() {
  local pid rc=0
  "$gateway_bin" console --root "$console_dir" "${@:3}" >"$1" 2>"$2" &
  pid=$!
  rt_wait_for -t 10 -p "$pid" "$1" '^console at http' >/dev/null || rc=1
  rt_stop_pid "$pid"
  return "$rc"
}
# shellcheck disable=SC2317  # run through rt_check
fragment_ok() { # --project-url and --channels fill the printed link
  console_run "$work/c2.out" "$work/c2.err" --listen 127.0.0.1:0 \
    --project-url "$RT_SERVER_URL" --channels robot-a,robot-b || return 1
  local want got
  want="#url=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$RT_SERVER_URL")&channels=robot-a,robot-b"
  got=$(sed -n 's|^console at http://127\.0\.0\.1:[0-9]*/\(#.*\)$|\1|p' "$work/c2.out")
  [[ $got == "$want" ]] || { echo "  printed: $(cat "$work/c2.out"), wanted the fragment $want"; return 1; }
}
# shellcheck disable=SC2317  # run through rt_check
warns_off_loopback() { # served beyond loopback only with a warning
  console_run "$work/c3.out" "$work/c3.err" --listen 0.0.0.0:0 || return 1
  grep -q 'serving on 0.0.0.0, not a loopback address' "$work/c3.err" || return 1
  console_run "$work/c4.out" "$work/c4.err" --listen 127.0.0.1:0 || return 1
  ! grep -q 'not a loopback address' "$work/c4.err"
}
rt_check "the console serves its files (GET, HEAD)" served_ok
rt_check "the console serves nothing else (404, 405)" nothing_else
rt_check "the console's Content-Security-Policy and nosniff headers" headers_ok
rt_check "console --project-url --channels fill the printed link's fragment" fragment_ok
rt_check "console off loopback warns; on loopback it does not" warns_off_loopback
rt_check "console without its page exits 1" refused 1 --listen 127.0.0.1:0 --root "$work/nowhere"
rt_check "console with a --listen that is no IP:PORT exits 1" refused 1 --listen nothost:1 --root "$console_dir"
rt_check "console with an extra argument exits 2" refused 2 extra

# What crosses the WebRTC channels (robot-b, the robot; robot-d, the
# stand-in sender), as an operator's `listen` hears it: the test checks
# every signalling message against docs/schema.
for ch in robot-b robot-d; do
  rt_gateway_start "signal-$ch" listen --url "$RT_SERVER_URL" --api-key-file "$RT_KEY_FILE" --channel "$ch"
  rt_wait_for -p "$RT_GATEWAY_PID" "$work/signal-$ch.err" 'joined' \
    || rt_fail "a listener joins $ch"
done

set +e
timeout 240 node "$here/console.test.mjs" \
  --chromium "$chromium_bin" --console "$console_url" --server "$RT_SERVER_URL" \
  --key-file "$RT_KEY_FILE" --shots "$shots" \
  --log-a "$work/robot-a.err" --log-b "$work/robot-b.err" --injector "$injector" \
  --signals-b "$work/signal-robot-b.out" --signals-d "$work/signal-robot-d.out" \
  --pid-a "${robot_pid[robot-a]}" \
  --schema "$here/../../docs/schema" >"$work/node.out"
node_rc=$?
set -e
cat "$work/node.out"
RT_PASSED=$((RT_PASSED + $(rt_count "$work/node.out" '^PASS ')))
RT_FAILED=$((RT_FAILED + $(rt_count "$work/node.out" '^FAIL ')))
if ((node_rc != 0)) && (($(rt_count "$work/node.out" '^FAIL ') == 0)); then
  rt_fail "console.test.mjs" "exited $node_rc"
fi
rt_log_file "$work/console.err"
rt_finish
