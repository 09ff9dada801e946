#!/usr/bin/env bash
# realtime-gateway: interop test between the official @supabase/realtime-js
# client (tests/interop/interop.mjs), the local realtime test server and the
# C command-line client, over loopback.
#
# Usage: run-interop.sh REALTIME_SERVER REALTIME_GATEWAY
#
# Starts realtime-server on a free port, two `realtime-gateway listen`
# (vsn 2.0.0 and 1.0.0) and two realtime-js clients (vsn 2.0.0 and 1.0.0) on
# one channel, then checks that:
#   - both realtime-js clients reach SUBSCRIBED (and both C listeners join)
#   - a broadcast sent by realtime-js (channel.send) reaches both C listeners
#   - a broadcast sent by `realtime-gateway send` reaches both JS clients
#   - a REST broadcast (POST /realtime/v1/api/broadcast) reaches all four
#   - `realtime-gateway listen` exits 0 on SIGTERM
# Prints "PASS name" / "FAIL name" per check; exits 1 on any failure and 77
# (skipped) when node or tests/interop/node_modules is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
server_bin=${1:?usage: run-interop.sh REALTIME_SERVER REALTIME_GATEWAY}
gateway_bin=${2:?usage: run-interop.sh REALTIME_SERVER REALTIME_GATEWAY}

SKIP=77
# One stream, so the closing lines (failures, summary) come last in the log.
exec 2>&1
WAIT_S=${RT_INTEROP_WAIT:-10} # bound of every single wait, in seconds
# Bound of all waits together, well inside meson's 120 s timeout.
DEADLINE=$((SECONDS + ${RT_INTEROP_BUDGET:-80}))
CHANNEL=robot-1
# The suites' fixed test key: scripts/test greps every log for it, so the
# verbose logs of the C clients below are checked for leaks too.
API_KEY=rtk-apikey-5ecret-7d1f2a9c

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not on PATH (install nodejs, then run 'npm ci' in tests/interop)"
  exit $SKIP
fi
if [[ ! -f $here/node_modules/@supabase/realtime-js/package.json ||
  ! -f $here/node_modules/ws/package.json ]]; then
  echo "SKIP: tests/interop/node_modules is missing: run 'npm ci' in $here"
  exit $SKIP
fi
if ! command -v curl >/dev/null 2>&1; then
  echo "SKIP: curl is not on PATH"
  exit $SKIP
fi
for bin in "$server_bin" "$gateway_bin"; do
  [[ -x $bin ]] || {
    echo "FAIL setup: $bin is not an executable"
    exit 1
  }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rt-interop.XXXXXX")
pids=()
passed=0
failed=0
failures=()

dump_logs() {
  local f
  for f in "$work"/*.err "$work"/*.out; do
    [[ -s $f ]] || continue
    echo "----- ${f##*/} (last 150 lines) -----"
    tail -n 150 "$f"
  done
}

cleanup() {
  local pid deadline
  exec 4>&- 5>&-
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  deadline=$((SECONDS + 5))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() {
  passed=$((passed + 1))
  echo "PASS $1"
}

fail() {
  failed=$((failed + 1))
  failures+=("FAIL $1${2:+ ($2)}")
  echo "FAIL $1${2:+ ($2)}"
}

# wait_for_line FILE PATTERN PID: true once FILE has a line matching the
# extended regex PATTERN; false after WAIT_S seconds (or at DEADLINE) or
# when PID has exited (looking once more after it has).
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 deadline=$((SECONDS + WAIT_S))
  ((deadline < DEADLINE)) || deadline=$DEADLINE
  while ((SECONDS < deadline)); do
    grep -qE -- "$pattern" "$file" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      grep -qE -- "$pattern" "$file" 2>/dev/null
      return
    fi
    sleep 0.1
  done
  return 1
}

# has_broadcast FILE EVENT PAYLOAD_JSON: FILE has a JSON line whose "event"
# is EVENT and whose "payload" deep-equals PAYLOAD_JSON (both the C
# listener's {"event","payload"} and interop.mjs's {"type":"broadcast",...}).
has_broadcast() {
  node -e '
    const fs = require("node:fs");
    const { isDeepStrictEqual } = require("node:util");
    const [file, event, payload] = process.argv.slice(1);
    const want = JSON.parse(payload);
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const ok = lines.some((l) => {
      try {
        const m = JSON.parse(l);
        return m.event === event && isDeepStrictEqual(m.payload, want);
      } catch {
        return false;
      }
    });
    process.exit(ok ? 0 : 1);' "$1" "$2" "$3"
}

# wait_for_broadcast NAME FILE PID EVENT PAYLOAD_JSON NONCE: fails at
# once when the receiver never joined (ready[RECEIVER] unset).
wait_for_broadcast() {
  local name=$1 file=$2 pid=$3 event=$4 payload=$5 nonce=$6 who
  who=${file##*/}
  who=${who%.out}
  if [[ -z ${ready[$who]:-} ]]; then
    fail "$name" "$who never joined"
  elif wait_for_line "$file" "$nonce" "$pid" && has_broadcast "$file" "$event" "$payload"; then
    pass "$name"
  else
    fail "$name" "no broadcast \"$event\" with payload $payload in ${file##*/} after ${WAIT_S}s"
  fi
}

nonce() {
  printf '%s-%s-%s' "$1" "$$" "$RANDOM$RANDOM"
}

printf '%s\n' "$API_KEY" >"$work/apikey"
printf 'apikey: %s\n' "$API_KEY" >"$work/apikey.header"
chmod 600 "$work/apikey" "$work/apikey.header"

# --- the local realtime server on a free port -----------------------------
"$server_bin" --port 0 --api-key-file "$work/apikey" \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
pids+=("$server_pid")
if ! wait_for_line "$work/server.out" '^listening on http://127\.0\.0\.1:[0-9]+' "$server_pid"; then
  fail server-listening "no 'listening on' line within ${WAIT_S}s"
  dump_logs
  exit 1
fi
url=$(grep -oE -m1 'http://127\.0\.0\.1:[0-9]+' "$work/server.out")
pass server-listening
echo "server at $url"

common=(--url "$url" --api-key-file "$work/apikey" --channel "$CHANNEL")

# --- two C listeners and two realtime-js clients --------------------------
start_listener() { # NAME VSN
  "$gateway_bin" listen "${common[@]}" --vsn "$2" --verbose \
    >"$work/$1.out" 2>"$work/$1.err" &
  pids+=("$!")
  declare -g "${1}_pid=$!"
}
start_listener c2 2.0.0
start_listener c1 1.0.0

mkfifo "$work/js2.in" "$work/js1.in"
# Opened read-write so that neither side blocks on the open.
exec 4<>"$work/js2.in" 5<>"$work/js1.in"
node "$here/interop.mjs" --url "$url" --api-key-file "$work/apikey" \
  --channel "$CHANNEL" --vsn 2.0.0 --ack <&4 >"$work/js2.out" 2>"$work/js2.err" &
js2_pid=$!
pids+=("$js2_pid")
node "$here/interop.mjs" --url "$url" --api-key-file "$work/apikey" \
  --channel "$CHANNEL" --vsn 1.0.0 <&5 >"$work/js1.out" 2>"$work/js1.err" &
js1_pid=$!
pids+=("$js1_pid")

# check_ready NAME FILE PATTERN PID WHAT: sets ready[c2|c1|js2|js1].
declare -A ready=()
check_ready() {
  if wait_for_line "$2" "$3" "$4"; then
    pass "$1"
    local who=${2##*/}
    ready[${who%.*}]=1
  else
    fail "$1" "$5 within ${WAIT_S}s"
  fi
}
# shellcheck disable=SC2154 # c2_pid, c1_pid: set by start_listener
{
  check_ready c-listener-v2-joined "$work/c2.err" joined "$c2_pid" "no 'joined' on its stderr"
  check_ready c-listener-v1-joined "$work/c1.err" joined "$c1_pid" "no 'joined' on its stderr"
}
sub='"status":"SUBSCRIBED"'
check_ready js-v2-subscribed "$work/js2.out" "$sub" "$js2_pid" "realtime-js (vsn 2.0.0) did not report SUBSCRIBED"
check_ready js-v1-subscribed "$work/js1.out" "$sub" "$js1_pid" "realtime-js (vsn 1.0.0) did not report SUBSCRIBED"

# --- (a) realtime-js channel.send reaches the C listeners -----------------
for v in 2 1; do
  n=$(nonce "js$v")
  payload="{\"from\":\"realtime-js\",\"vsn\":\"$v.0.0\",\"nonce\":\"$n\",\"params\":{\"bitrate\":2500,\"list\":[1,2.5,null,true]}}"
  printf '{"cmd":"send","event":"js-to-c","payload":%s}\n' "$payload" >&$((v == 2 ? 4 : 5))
  js_pid_var=js${v}_pid
  if wait_for_line "$work/js$v.out" '"type":"sent","event":"js-to-c","result":"ok"' "${!js_pid_var}"; then
    pass "js-v$v-send-ok"
  else
    fail "js-v$v-send-ok" "channel.send() did not resolve \"ok\""
  fi
  wait_for_broadcast "js-v$v-to-c-listener-v2" "$work/c2.out" "$c2_pid" js-to-c "$payload" "$n"
  wait_for_broadcast "js-v$v-to-c-listener-v1" "$work/c1.out" "$c1_pid" js-to-c "$payload" "$n"
done

# --- (b) realtime-gateway send reaches the JS clients ---------------------
for v in 2 1; do
  n=$(nonce "c$v")
  payload="{\"from\":\"realtime-gateway\",\"vsn\":\"$v.0.0\",\"nonce\":\"$n\"}"
  ack=()
  [[ $v == 2 ]] && ack=(--ack)
  if timeout $((WAIT_S + 5)) "$gateway_bin" send "${common[@]}" --vsn "$v.0.0" \
    --event c-to-js --payload "$payload" "${ack[@]}" \
    >"$work/send$v.out" 2>"$work/send$v.err"; then
    pass "c-send-v$v${ack[0]:+-ack}-exit-0"
  else
    fail "c-send-v$v${ack[0]:+-ack}-exit-0" "exit status $?"
  fi
  wait_for_broadcast "c-send-v$v-to-js-v2" "$work/js2.out" "$js2_pid" c-to-js "$payload" "$n"
  wait_for_broadcast "c-send-v$v-to-js-v1" "$work/js1.out" "$js1_pid" c-to-js "$payload" "$n"
done

# --- (c) a REST broadcast reaches all four --------------------------------
n=$(nonce rest)
payload="{\"from\":\"rest\",\"nonce\":\"$n\"}"
body="{\"messages\":[{\"topic\":\"$CHANNEL\",\"event\":\"rest\",\"payload\":$payload}]}"
status=$(curl -sS --max-time "$WAIT_S" -o "$work/rest.out" -w '%{http_code}' \
  -X POST "$url/realtime/v1/api/broadcast" -H @"$work/apikey.header" \
  -H 'Content-Type: application/json' --data-binary "$body" 2>"$work/rest.err" || true)
if [[ $status == 202 ]]; then
  pass rest-broadcast-202
else
  fail rest-broadcast-202 "HTTP status ${status:-none}"
fi
wait_for_broadcast rest-to-c-listener-v2 "$work/c2.out" "$c2_pid" rest "$payload" "$n"
wait_for_broadcast rest-to-c-listener-v1 "$work/c1.out" "$c1_pid" rest "$payload" "$n"
wait_for_broadcast rest-to-js-v2 "$work/js2.out" "$js2_pid" rest "$payload" "$n"
wait_for_broadcast rest-to-js-v1 "$work/js1.out" "$js1_pid" rest "$payload" "$n"

# --- realtime-js saw nothing it could not handle ---------------------------
for v in 2 1; do
  if grep -q '"type":"error"' "$work/js$v.out" || grep -qiE 'uncaught|TypeError|SyntaxError' "$work/js$v.err"; then
    fail "js-v$v-no-errors" "see js$v.out / js$v.err"
  else
    pass "js-v$v-no-errors"
  fi
done

# --- listen's stdout holds broadcasts only: one {"event","payload"} a line
# (logs and state changes belong on stderr, even with --verbose)
for v in 2 1; do
  if bad=$(node -e '
    const lines = require("node:fs").readFileSync(process.argv[1], "utf8").split("\n");
    const bad = lines.filter((l) => {
      if (l === "") return false;
      try {
        const m = JSON.parse(l);
        return !(m && typeof m.event === "string" && "payload" in m && Object.keys(m).length === 2);
      } catch {
        return true;
      }
    });
    console.log(bad.length);
    process.exit(bad.length ? 1 : 0);' "$work/c$v.out"); then
    pass "c-listener-v$v-stdout-json-lines-only"
  else
    fail "c-listener-v$v-stdout-json-lines-only" "$bad stdout lines are not {\"event\",\"payload\"} JSON"
  fi
done

# --- the C listeners stop cleanly on SIGTERM -------------------------------
for v in 2 1; do
  pid_var=c${v}_pid
  pid=${!pid_var}
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + WAIT_S))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.1
  done
  rc=0
  if kill -0 "$pid" 2>/dev/null; then
    fail "c-listener-v$v-term-exit-0" "still running ${WAIT_S}s after SIGTERM"
  elif wait "$pid"; then
    pass "c-listener-v$v-term-exit-0"
  else
    rc=$?
    fail "c-listener-v$v-term-exit-0" "exit status $rc"
  fi
done

# The C clients' verbose logs go to the test log, where scripts/test checks
# that no secret reached them.
dump_logs
# Again at the end, where meson's --print-errorlogs (last lines) shows them.
((failed == 0)) || printf '%s\n' "${failures[@]}"
echo "interop: $passed passed, $failed failed"
((failed == 0))
