# shellcheck shell=bash
# realtime-gateway: the shell library of the shell test suites (sourced, not
# run): tests/test-cli.sh, tests/elements/test-launch.sh,
# tests/netns/test-netns.sh, tests/fuzz/run.sh and scripts/install-test.
#
# Results: one line per check, "PASS NAME" or "FAIL NAME[: REASON]", and a
# closing "N passed, N failed" (scripts/test counts suites by that line).
#   rt_pass NAME                  count and print a PASS
#   rt_fail NAME [REASON]         count and print a FAIL
#   rt_check NAME COMMAND...      PASS when COMMAND succeeds; its output as
#                                 it comes
#   rt_check_quiet NAME COMMAND...  the same, COMMAND's output (last 20
#                                 lines) shown only on FAIL
#   rt_summary                    print "N passed, N failed"; status 1 when
#                                 anything failed
#   rt_finish                     the logs when a check failed, rt_summary,
#                                 then exit 0 or 1
#   rt_skip REASON                print "SKIP REASON" and the summary, exit 77
#                                 (meson's skip)
# Waiting, always bounded (never a fixed sleep where a condition exists):
#   rt_wait_until [-t SECONDS] [-p PID] COMMAND...
#                                 until COMMAND succeeds, polling every 50 ms;
#                                 gives up early when PID has exited
#   rt_wait_for [-t SECONDS] [-n COUNT] [-p PID] FILE REGEX
#                                 until FILE holds COUNT (1) lines matching
#                                 the extended regex REGEX; says so on timeout
#   rt_count FILE REGEX           lines of FILE matching REGEX (0 if none)
#   (SECONDS defaults to RT_WAIT_SECONDS, 10; fractions allowed)
# Work directory and processes:
#   rt_make_work NAME             RT_WORK=a new temporary directory; installs
#                                 the EXIT trap (rt_cleanup) and exits 130 on
#                                 INT/TERM
#   rt_on_cleanup FUNCTION        run FUNCTION in rt_cleanup, after the
#                                 processes are stopped
#   rt_track_pid PID              stop PID in rt_cleanup
#   rt_stop_pid PID [SIGNAL [SECONDS]]  SIGNAL (TERM), wait up to SECONDS (5),
#                                 then SIGKILL; reaps it
#   rt_log_file FILE...           a log dumped (tail, secrets redacted) by
#                                 rt_cleanup when a check failed
#   rt_dump_logs [FILE...]        dump those logs now
#   rt_free_port                  print a TCP port free on 127.0.0.1
# The local realtime server and realtime-gateway:
#   rt_server_start [ARG...]      start RT_SERVER_BIN (--port 0 unless ARGs
#                                 say otherwise; --api-key-file RT_KEY_FILE
#                                 when set), prefixed by the RT_SERVER_PREFIX
#                                 array (e.g. ip netns exec NS); output in
#                                 RT_WORK/server.out and server.err; waits for
#                                 "listening on", sets RT_SERVER_URL and
#                                 RT_SERVER_PID. Status 1 (server.err shown)
#                                 when it does not listen in time.
#   rt_gateway_start NAME ARG...  start RT_GATEWAY_BIN ARG... in the
#                                 background, output in RT_WORK/NAME.out and
#                                 NAME.err, tracked; sets RT_GATEWAY_PID
#   rt_broadcast TOPIC EVENT PAYLOAD_JSON
#                                 a REST broadcast to RT_SERVER_URL with
#                                 RT_API_KEY, as an operator's backend sends
#                                 it; prints the HTTP status, 0 when 202
#
# Variables: RT_SERVER_BIN, RT_GATEWAY_BIN (paths), RT_API_KEY (the key; every
# dumped log has it replaced by ***), RT_KEY_FILE, RT_WAIT_SECONDS,
# RT_KEEP_WORK ("" removes RT_WORK, "always" keeps it, "on-failure" keeps it
# when a check failed), RT_PASSED and RT_FAILED (the counters).

RT_PASSED=0
RT_FAILED=0
RT_WORK=
RT_PIDS=()
RT_LOGS=()
RT_CLEANUP_HOOKS=()
RT_SERVER_PREFIX=()
RT_SERVER_BIN=${RT_SERVER_BIN:-}
RT_GATEWAY_BIN=${RT_GATEWAY_BIN:-}
RT_WAIT_SECONDS=${RT_WAIT_SECONDS:-10}
RT_KEEP_WORK=${RT_KEEP_WORK:-}

# --- results ------------------------------------------------------------------

rt_pass() {
  RT_PASSED=$((RT_PASSED + 1))
  printf 'PASS %s\n' "$1"
}

rt_fail() {
  RT_FAILED=$((RT_FAILED + 1))
  printf 'FAIL %s%s\n' "$1" "${2:+: $2}"
}

rt_check() {
  local name=$1
  shift
  if "$@"; then
    rt_pass "$name"
  else
    rt_fail "$name"
  fi
}

rt_check_quiet() {
  local name=$1 out rc=0
  shift
  out=$("$@" 2>&1) || rc=$?
  if ((rc == 0)); then
    rt_pass "$name"
  else
    printf '%s\n' "$out" | tail -n 20 | sed 's/^/  | /'
    rt_fail "$name" "exit $rc"
  fi
}

rt_summary() {
  printf '%d passed, %d failed\n' "$RT_PASSED" "$RT_FAILED"
  ((RT_FAILED == 0))
}

rt_finish() {
  _rt_dump_on_failure
  if rt_summary; then
    exit 0
  fi
  exit 1
}

rt_skip() {
  printf 'SKIP %s\n' "$1"
  rt_summary || true
  exit 77
}

# --- bounded waits --------------------------------------------------------------

# Microseconds since the epoch (EPOCHREALTIME, whatever the locale's decimal
# separator).
_rt_now_us() {
  local t=${EPOCHREALTIME//[.,]/}
  printf '%s' "$((10#$t))"
}

# Seconds (fractions allowed) to microseconds.
_rt_us() {
  local s=$1 int frac
  int=${s%%.*}
  frac=
  [[ $s == *.* ]] && frac=${s#*.}
  frac=${frac}000000
  printf '%s' "$((10#${int:-0} * 1000000 + 10#${frac:0:6}))"
}

# True while PID runs: a zombie (exited, not yet reaped) does not count.
_rt_alive() {
  local stat
  kill -0 "$1" 2>/dev/null || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

rt_wait_until() {
  local secs=$RT_WAIT_SECONDS pid='' end OPTIND=1 opt
  while getopts 't:p:' opt; do
    case $opt in
    t) secs=$OPTARG ;;
    p) pid=$OPTARG ;;
    *) return 2 ;;
    esac
  done
  shift $((OPTIND - 1))
  end=$(($(_rt_now_us) + $(_rt_us "$secs")))
  while (($(_rt_now_us) < end)); do
    "$@" && return 0
    if [[ -n $pid ]] && ! _rt_alive "$pid"; then
      break
    fi
    sleep 0.05
  done
  "$@" # one last look
}

rt_count() {
  local n
  n=$(grep -cE -- "$2" "$1" 2>/dev/null) || true
  printf '%s' "${n:-0}"
}

_rt_has_lines() { # FILE REGEX COUNT
  (($(rt_count "$1" "$2") >= $3))
}

rt_wait_for() {
  local secs=$RT_WAIT_SECONDS count=1 pid_opt=() OPTIND=1 opt
  while getopts 't:n:p:' opt; do
    case $opt in
    t) secs=$OPTARG ;;
    n) count=$OPTARG ;;
    p) pid_opt=(-p "$OPTARG") ;;
    *) return 2 ;;
    esac
  done
  shift $((OPTIND - 1))
  rt_wait_until -t "$secs" "${pid_opt[@]}" _rt_has_lines "$1" "$2" "$count" && return 0
  printf "  timed out after %ss waiting for '%s' in %s\n" "$secs" "$2" "${1##*/}"
  return 1
}

# --- work directory, processes, logs --------------------------------------------

rt_make_work() {
  RT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || {
    printf 'error: mktemp -d failed\n' >&2
    exit 1
  }
  trap rt_cleanup EXIT
  trap 'exit 130' INT TERM
}

rt_on_cleanup() {
  RT_CLEANUP_HOOKS+=("$1")
}

rt_track_pid() {
  RT_PIDS+=("$1")
}

rt_stop_pid() {
  local pid=$1 sig=${2:-TERM} secs=${3:-5}
  { # no "Killed" or "Terminated" job notices
    kill -"$sig" "$pid" || return 0
    rt_wait_until -t "$secs" -p "$pid" false || true
    kill -KILL "$pid" || true
    wait "$pid" || true
  } 2>/dev/null
}

rt_log_file() {
  local f known
  for f in "$@"; do
    for known in "${RT_LOGS[@]}"; do
      [[ $known == "$f" ]] && continue 2
    done
    RT_LOGS+=("$f")
  done
}

rt_dump_logs() {
  local f line files=("$@")
  ((${#files[@]} > 0)) || files=("${RT_LOGS[@]}")
  for f in "${files[@]}"; do
    [[ -s $f ]] || continue
    printf '  --- %s (last 30 lines)\n' "${f##*/}"
    while IFS= read -r line; do
      [[ -n ${RT_API_KEY:-} ]] && line=${line//"$RT_API_KEY"/***}
      printf '  | %s\n' "$line"
    done < <(tail -n 30 "$f")
  done
}

# The registered logs, once, when a check failed.
RT_LOGS_DUMPED=0
_rt_dump_on_failure() {
  ((RT_FAILED > 0 && RT_LOGS_DUMPED == 0 && ${#RT_LOGS[@]} > 0)) || return 0
  RT_LOGS_DUMPED=1
  printf 'logs of the processes this suite started:\n'
  rt_dump_logs
}

# The EXIT trap: every tracked process TERMed at once, then waited for (5 s
# in all) and KILLed; the hooks; the logs when a check failed; RT_WORK.
rt_cleanup() {
  local pid hook end
  for pid in "${RT_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  end=$((SECONDS + 5))
  for pid in "${RT_PIDS[@]}"; do
    while _rt_alive "$pid" && ((SECONDS < end)); do
      sleep 0.05
    done
    { kill -KILL "$pid" && wait "$pid"; } 2>/dev/null || true
  done
  RT_PIDS=()
  for hook in "${RT_CLEANUP_HOOKS[@]}"; do
    "$hook" || true
  done
  _rt_dump_on_failure
  [[ -n $RT_WORK && -d $RT_WORK ]] || return 0
  if [[ $RT_KEEP_WORK == always ]] \
    || { [[ $RT_KEEP_WORK == on-failure ]] && ((RT_FAILED > 0)); }; then
    printf 'logs kept in %s\n' "$RT_WORK"
  else
    rm -rf "$RT_WORK"
  fi
}

rt_free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# --- the local realtime server and realtime-gateway -----------------------------

RT_SERVER_URL=
RT_SERVER_PID=
rt_server_start() {
  local args=("$@") a port_given=0
  for a in "${args[@]}"; do
    [[ $a == --port ]] && port_given=1
  done
  ((port_given)) || args=(--port 0 "${args[@]}")
  [[ -n ${RT_KEY_FILE:-} ]] && args+=(--api-key-file "$RT_KEY_FILE")
  : >"$RT_WORK/server.out"
  "${RT_SERVER_PREFIX[@]}" "$RT_SERVER_BIN" "${args[@]}" \
    >>"$RT_WORK/server.out" 2>>"$RT_WORK/server.err" &
  RT_SERVER_PID=$!
  rt_track_pid "$RT_SERVER_PID"
  rt_log_file "$RT_WORK/server.err"
  if ! rt_wait_for -p "$RT_SERVER_PID" "$RT_WORK/server.out" '^listening on '; then
    rt_dump_logs "$RT_WORK/server.err"
    return 1
  fi
  RT_SERVER_URL=$(sed -n 's/^listening on //p' "$RT_WORK/server.out" | head -n 1)
}

RT_GATEWAY_PID=
rt_gateway_start() {
  local name=$1
  shift
  "$RT_GATEWAY_BIN" "$@" >"$RT_WORK/$name.out" 2>"$RT_WORK/$name.err" &
  RT_GATEWAY_PID=$!
  rt_track_pid "$RT_GATEWAY_PID"
  rt_log_file "$RT_WORK/$name.err"
}

rt_broadcast() {
  local topic=$1 event=$2 payload=$3 code header=$RT_WORK/apikey.header
  # The key goes to curl in a file, never on a command line (ps shows those).
  if [[ ! -f $header ]]; then
    (umask 077 && printf 'apikey: %s\n' "$RT_API_KEY" >"$header")
  fi
  code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
    "$RT_SERVER_URL/realtime/v1/api/broadcast" \
    -H @"$header" -H 'Content-Type: application/json' \
    -d "{\"messages\":[{\"topic\":\"$topic\",\"event\":\"$event\",\"payload\":$payload}]}") \
    || true
  printf '%s\n' "${code:-000}"
  [[ $code == 202 ]]
}
