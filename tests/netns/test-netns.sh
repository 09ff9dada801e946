#!/usr/bin/env bash
# realtime-gateway: real network faults between `realtime-gateway listen`
# (or a WebRTC viewer) and the local realtime server (and the daemon), in
# network namespaces this test makes and deletes itself.
#
#   [rtg-cli-PID]  c0 ==veth== wc  [rtg-wire-PID]  ws ==veth== s0  [rtg-srv-PID]
#   10.77.0.1/30        rtg-wire.py copies frames        10.77.0.2/30
#   realtime-gateway    wc <-> ws, adding delay, loss    realtime-server
#     listen            or a cut (frames dropped)          --listen 0.0.0.0
#   or netns-viewer                                      and realtime-gateway
#                                                          run (webrtc)
#
# The impairments come from tests/netns/rtg-wire.py, a userspace forwarder
# in the middle namespace (AF_PACKET), so they need no kernel module: tc
# netem (sch_netem) is missing from many kernels, this project's CI kernel
# among them. Dropped frames are simply gone: no FIN, no RST, no ICMP.
#
# Scenarios, each bounded in time:
#   cut      the link cut (all frames dropped) is detected by the heartbeat
#            timeout, and the client rejoins when the link returns
#   lossy    300 ms one-way delay (600 ms round trip) with 5 % loss each
#            way keeps the channel joined and delivers every broadcast
#   flap     a link that flaps every few seconds for RT_NETNS_FLAP_SECONDS
#            delivers every broadcast sent while joined exactly once, none
#            twice, and ends joined
#   restart  the server killed (SIGKILL) and restarted on the same address,
#            then stopped (SIGTERM) and restarted at once: the client
#            rejoins each time
#   webrtc   the daemon (`realtime-gateway run`, the shipped definition
#            test-pattern-webrtc: 1000 kbit/s, min 200) beside the server,
#            watched by netns-viewer from the client namespace, so the
#            signalling and the media cross the wire. On the clean link the
#            target holds for 5 s; 300 ms one-way delay with 5 % loss each
#            way for 20 s: the session's target bitrate steps down within
#            8 s and frames keep being decoded; once the link is clean the
#            target climbs back within 30 s. About 35 s.
#
# Usage: test-netns.sh REALTIME_SERVER REALTIME_GATEWAY [NETNS_VIEWER]
#   (NETNS_VIEWER: tests/netns/netns-viewer.c, for scenario webrtc)
# Environment:
#   RT_NETNS_FLAP_SECONDS  length of the flap scenario (120; CI: 30)
#   RT_NETNS_SCENARIOS     which to run, in order ("cut lossy flap restart
#                          webrtc")
#   RT_NETNS_KEEP=1        keep the work directory (logs) even on success
# Needs: root, iproute2, ethtool, python3, curl. Prints PASS/FAIL lines and
# ends with "N passed, N failed"; exits 77 (skip) when network namespaces
# cannot be created here, 1 when a check failed.
set -uo pipefail

server_bin=${1:?usage: test-netns.sh REALTIME_SERVER REALTIME_GATEWAY [NETNS_VIEWER]}
gw_bin=${2:?usage: test-netns.sh REALTIME_SERVER REALTIME_GATEWAY [NETNS_VIEWER]}
viewer_bin=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
wire_py=$here/rtg-wire.py
flap_seconds=${RT_NETNS_FLAP_SECONDS:-120}
scenarios=${RT_NETNS_SCENARIOS:-cut lossy flap restart webrtc}
# The shipped test-pattern-webrtc's bitrate (scenario webrtc).
start_kbps=1000
exec 2>&1

# shellcheck source=tests/support/rt-test-lib.sh
source "$here/../support/rt-test-lib.sh"
RT_SERVER_BIN=$server_bin
RT_GATEWAY_BIN=$gw_bin
RT_API_KEY=rtk-netns-test-key-0b1e
RT_KEEP_WORK=on-failure
[[ ${RT_NETNS_KEEP:-0} == 1 ]] && RT_KEEP_WORK=always
ns_srv=rtg-srv-$$
ns_cli=rtg-cli-$$
ns_wire=rtg-wire-$$
namespaces=()
srv_addr=10.77.0.2
cli_addr=10.77.0.1
port=4000
api_key=$RT_API_KEY

say() { printf '%s\n' "$*"; }

# shellcheck disable=SC2317  # called by rt_cleanup
delete_namespaces() {
  local ns
  for ns in "${namespaces[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}
rt_make_work rtg-netns
rt_on_cleanup delete_namespaces
work=$RT_WORK
RT_KEY_FILE=$work/key
# The server runs in its namespace, on a fixed address and port.
RT_SERVER_PREFIX=(ip netns exec "$ns_srv")

# --- can this machine do it? ----------------------------------------------

if ! command -v ip >/dev/null 2>&1; then
  rt_skip "netns: 'ip' not found (Debian: iproute2)"
fi
if ((EUID != 0)); then
  rt_skip "netns: network namespaces need root (running as uid $EUID)"
fi
if ! ip netns add "$ns_srv" 2>/dev/null; then
  rt_skip "netns: 'ip netns add' is not allowed here (no CAP_SYS_ADMIN, or no netns support)"
fi
namespaces+=("$ns_srv")
missing=()
for tool in python3 ethtool curl timeout; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
for f in "$server_bin" "$gw_bin"; do
  [[ -x $f ]] || missing+=("$f")
done
[[ -f $wire_py ]] || missing+=("$wire_py")
if ((${#missing[@]} > 0)); then
  rt_fail "prerequisites: missing ${missing[*]} (Debian: python3 ethtool curl)"
  rt_finish
fi

printf '%s\n' "$api_key" >"$work/key"
chmod 600 "$work/key"

# --- topology ----------------------------------------------------------------

setup_topology() {
  local ns pair
  ip netns add "$ns_cli" && namespaces+=("$ns_cli") || return 1
  ip netns add "$ns_wire" && namespaces+=("$ns_wire") || return 1
  for ns in "$ns_srv" "$ns_cli" "$ns_wire"; do
    ip -n "$ns" link set lo up || return 1
  done
  ip link add name c0 netns "$ns_cli" type veth peer name wc netns "$ns_wire" \
    || return 1
  ip link add name s0 netns "$ns_srv" type veth peer name ws netns "$ns_wire" \
    || return 1
  ip -n "$ns_cli" addr add "$cli_addr/30" dev c0 || return 1
  ip -n "$ns_srv" addr add "$srv_addr/30" dev s0 || return 1
  # Frames cross the wire through AF_PACKET: no offloads, so each is a
  # real, checksummed, MTU-sized Ethernet frame.
  for pair in "$ns_cli c0" "$ns_srv s0" "$ns_wire wc" "$ns_wire ws"; do
    # shellcheck disable=SC2086  # "NS DEV" split on purpose
    set -- $pair
    ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off \
      >/dev/null 2>&1 || true
    ip -n "$1" link set "$2" up || return 1
  done
  mkfifo "$work/wire.ctl" || return 1
  ip netns exec "$ns_wire" python3 -u "$wire_py" wc ws "$work/wire.ctl" \
    >"$work/wire.log" 2>&1 &
  rt_track_pid $!
  rt_wait_for -t 10 "$work/wire.log" "up" || return 1
}

# wire COMMAND...: applies a command and waits until the wire confirms it.
wire() {
  local before
  before=$(grep -c '^ok ' "$work/wire.log" 2>/dev/null)
  printf '%s\n' "$*" >"$work/wire.ctl"
  local end=$((SECONDS + 5))
  while ((SECONDS < end)); do
    (($(grep -c '^ok ' "$work/wire.log") > before)) && return 0
    sleep 0.02
  done
  say "  wire did not confirm '$*'"
  return 1
}

# --- helpers -------------------------------------------------------------------

now() { printf '%s' "$EPOCHREALTIME"; }

# Prefixes each line with the time it was read.
stamp() {
  local line
  while IFS= read -r line; do
    printf '%s %s\n' "$EPOCHREALTIME" "$line"
  done
}

# The CLI's own state lines for a lost connection ("client disconnected
# (...)", "... errored (connection lost: ...)"); debug lines (when
# G_MESSAGES_DEBUG is set, as scripts/test does) say "client: disconnected
# -> connecting" and must not count.
lost_re() { printf '%s' 'client disconnected \(|errored \(connection lost'; }

start_server() {
  rt_server_start --listen 0.0.0.0 --port "$port"
}

# listen_start NAME HB_INTERVAL HB_TIMEOUT [EXTRA FLAGS...]: a listener on
# channel NAME; its stdout and stderr, time-stamped, in NAME.out/NAME.err.
listen_pid=
listen_start() {
  local name=$1 interval=$2 hb_timeout=$3
  shift 3
  ip netns exec "$ns_cli" "$gw_bin" listen --url "http://$srv_addr:$port" \
    --api-key-file "$work/key" --channel "$name" \
    --heartbeat-interval "$interval" --heartbeat-timeout "$hb_timeout" "$@" \
    > >(stamp >"$work/$name.out") 2> >(stamp >"$work/$name.err") &
  listen_pid=$!
  rt_track_pid "$listen_pid"
}

joined_re() { printf 'channel realtime:%s joined' "$1"; }

# The channel's latest state word ("joined", "errored", ...).
channel_state() {
  grep -oE "channel realtime:$1 [a-z]+" "$work/$1.err" 2>/dev/null | tail -n 1 \
    | awk '{print $3}'
}

# send NAME ID: one broadcast through the REST endpoint, from the server's
# namespace (so it never crosses the wire). Echoes the HTTP status.
send() {
  ip netns exec "$ns_srv" curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    -X POST -H 'Content-Type: application/json' -H "apikey: $api_key" \
    -d "{\"messages\":[{\"topic\":\"$1\",\"event\":\"tick\",\"payload\":{\"id\":$2}}]}" \
    "http://127.0.0.1:$port/api/broadcast"
}

# delivered NAME ID: how many times listen printed the broadcast ID.
delivered() {
  grep -c "\"payload\":{\"id\":$2}}" "$work/$1.out" 2>/dev/null || true
}

show_logs() {
  local name=$1
  say "  --- $name.err (last 15 lines)"
  tail -n 15 "$work/$name.err" 2>/dev/null | sed 's/^/  /'
}

# --- scenario: cut --------------------------------------------------------------

scenario_cut() {
  local ch=netns-cut t0 t1 joins s
  say "== cut: all frames dropped, no FIN or RST (heartbeat 2 s, timeout 2 s)"
  listen_start "$ch" 2 2 --backoff-min 0.5 --backoff-max 3
  if ! rt_wait_for -t 20 "$work/$ch.err" "$(joined_re $ch)"; then
    rt_fail "cut: listen never joined"
    show_logs "$ch"
    return
  fi
  s=$(send "$ch" 1)
  rt_wait_for -t 5 "$work/$ch.out" '"id":1}' || say "  broadcast 1 (HTTP $s) not delivered before the cut"

  joins=$(rt_count "$work/$ch.err" "$(joined_re $ch)")
  t0=$(now)
  wire cut
  if rt_wait_for -t 10 "$work/$ch.err" 'heartbeat timeout'; then
    t1=$(grep -m1 'heartbeat timeout' "$work/$ch.err" | awk '{print $1}')
    rt_pass "cut: detected by the heartbeat timeout after $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s (interval 2 s + timeout 2 s)"
  else
    rt_fail "cut: no 'heartbeat timeout' within 10 s of the cut"
    show_logs "$ch"
  fi
  # Reconnects fail while the link is down; the channel must not claim to
  # be joined.
  sleep 8
  if (($(rt_count "$work/$ch.err" "$(joined_re $ch)") == joins)) \
    && [[ $(channel_state $ch) != joined ]]; then
    rt_pass "cut: not joined while the link is down (state $(channel_state $ch))"
  else
    rt_fail "cut: joined while the link was down"
  fi

  t0=$(now)
  wire restore
  if rt_wait_for -t 45 -n $((joins + 1)) "$work/$ch.err" "$(joined_re $ch)"; then
    t1=$(grep "$(joined_re $ch)" "$work/$ch.err" | tail -n 1 | awk '{print $1}')
    rt_pass "cut: rejoined $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s after the link returned"
  else
    rt_fail "cut: not rejoined within 45 s of the link returning"
    show_logs "$ch"
  fi
  s=$(send "$ch" 2)
  if rt_wait_for -t 10 "$work/$ch.out" '"id":2}' && (($(delivered $ch 1) == 1)) \
    && (($(delivered $ch 2) == 1)); then
    rt_pass "cut: broadcasts before the cut and after the rejoin delivered once each"
  else
    rt_fail "cut: deliveries id1=$(delivered $ch 1) id2=$(delivered $ch 2) (HTTP $s)"
  fi
  rt_stop_pid "$listen_pid"
}

# --- scenario: lossy ---------------------------------------------------------------

scenario_lossy() {
  local ch=netns-lossy n=${RT_NETNS_LOSSY_BROADCASTS:-40} i s bad=0 order
  say "== lossy: 300 ms one-way delay, 5 % loss each way (heartbeat 5 s, timeout 15 s)"
  if ! wire reset || ! wire delay 300 || ! wire loss 5; then
    rt_fail "lossy: wire not configured"
    return
  fi
  # The join itself goes over the bad link.
  listen_start "$ch" 5 15 --backoff-min 0.5 --backoff-max 3
  if ! rt_wait_for -t 45 "$work/$ch.err" "$(joined_re $ch)"; then
    rt_fail "lossy: listen never joined over the lossy link"
    show_logs "$ch"
    wire clear
    rt_stop_pid "$listen_pid"
    return
  fi
  rt_pass "lossy: joined over the lossy link"
  for ((i = 1; i <= n; i++)); do
    s=$(send "$ch" "$i")
    [[ $s == 202 ]] || bad=$((bad + 1))
    sleep 1
  done
  ((bad == 0)) || say "  $bad REST sends not accepted"
  if rt_wait_for -t 60 -n "$n" "$work/$ch.out" '"event":"tick"'; then
    :
  fi
  local missing=() dup=()
  for ((i = 1; i <= n; i++)); do
    case $(delivered $ch "$i") in
      1) ;;
      0) missing+=("$i") ;;
      *) dup+=("$i") ;;
    esac
  done
  if ((${#missing[@]} == 0 && ${#dup[@]} == 0 && bad == 0)); then
    rt_pass "lossy: all $n broadcasts delivered exactly once"
  else
    rt_fail "lossy: missing [${missing[*]}] duplicated [${dup[*]}] unsent $bad of $n"
  fi
  order=$(grep -oE '"id":[0-9]+' "$work/$ch.out" | cut -d: -f2 | tr '\n' ' ')
  if [[ $order == "$(seq -s ' ' 1 "$n") " ]]; then
    rt_pass "lossy: broadcasts arrived in the order sent"
  else
    rt_fail "lossy: order $order"
  fi
  if (($(rt_count "$work/$ch.err" "$(joined_re $ch)") == 1)) \
    && (($(rt_count "$work/$ch.err" "$(lost_re)") == 0)); then
    rt_pass "lossy: the channel stayed joined throughout (one join, no reconnect)"
  else
    rt_fail "lossy: the channel did not stay joined"
    show_logs "$ch"
  fi
  wire stats >/dev/null
  say "  wire: $(grep '^stats' "$work/wire.log" | tail -n 1)"
  wire clear
  rt_stop_pid "$listen_pid"
}

# --- scenario: flap --------------------------------------------------------------------

scenario_flap() {
  local ch=netns-flap id=0 t_end flapper s
  say "== flap: the link flaps every few seconds for $flap_seconds s (heartbeat 2 s, timeout 2 s)"
  listen_start "$ch" 2 2 --backoff-min 0.2 --backoff-max 2
  if ! rt_wait_for -t 20 "$work/$ch.err" "$(joined_re $ch)"; then
    rt_fail "flap: listen never joined"
    show_logs "$ch"
    rt_stop_pid "$listen_pid"
    return
  fi

  # The flapper: down for short spells the TCP connection survives and
  # for long ones the heartbeat timeout catches, up for a few seconds.
  (
    downs=(1 6 2 8 0.5 5 1.5 7)
    ups=(3 5 4 6 3.5)
    i=0
    end=$((SECONDS + flap_seconds))
    while ((SECONDS < end)); do
      printf '%s cut\n' "$EPOCHREALTIME" >>"$work/flap.events"
      printf 'cut\n' >"$work/wire.ctl"
      sleep "${downs[i % ${#downs[@]}]}"
      printf '%s restore\n' "$EPOCHREALTIME" >>"$work/flap.events"
      printf 'restore\n' >"$work/wire.ctl"
      sleep "${ups[i % ${#ups[@]}]}"
      i=$((i + 1))
    done
    printf '%s done\n' "$EPOCHREALTIME" >>"$work/flap.events"
  ) &
  flapper=$!
  rt_track_pid "$flapper"

  # One broadcast every half second for the whole time, whatever the link.
  : >"$work/flap.sent"
  t_end=$((SECONDS + flap_seconds + 60))
  while kill -0 "$flapper" 2>/dev/null && ((SECONDS < t_end)); do
    id=$((id + 1))
    printf '%s %s %s\n' "$EPOCHREALTIME" "$id" "$(send "$ch" "$id")" >>"$work/flap.sent"
    sleep 0.5
  done
  wait "$flapper" 2>/dev/null
  wire restore

  # Wait until joined at the end (bounded), then one last broadcast.
  local end=$((SECONDS + 45))
  while ((SECONDS < end)) && [[ $(channel_state $ch) != joined ]]; do
    sleep 0.2
  done
  sleep 1
  id=$((id + 1))
  printf '%s %s %s\n' "$EPOCHREALTIME" "$id" "$(send "$ch" "$id")" >>"$work/flap.sent"
  rt_wait_for -t 10 "$work/$ch.out" "\"id\":$id}"
  sleep 2 # late duplicates would show up now

  # Judge: "sent while joined" = the channel was joined when the broadcast
  # was sent and stayed joined for the next 5 s (heartbeat interval +
  # timeout + 1 s): a broadcast sent into a connection that was about to
  # be declared dead is not owed.
  python3 - "$work/$ch.err" "$work/$ch.out" "$work/flap.sent" "$work/flap.events" \
    "$ch" >"$work/flap.verdict" <<'PY'
import re, sys
err, out, sent, events, ch = sys.argv[1:]
states = []
for line in open(err, errors="replace"):
    m = re.match(r"(\S+) channel realtime:%s (\w+)" % re.escape(ch), line)
    if m:
        states.append((float(m.group(1)), m.group(2)))
def state_at(t):
    s = "closed"
    for ts, st in states:
        if ts <= t:
            s = st
    return s
def changes_between(a, b):
    return any(a < ts <= b for ts, _ in states)
got = {}
for line in open(out, errors="replace"):
    m = re.search(r'"id":(\d+)\}', line)
    if m:
        got[int(m.group(1))] = got.get(int(m.group(1)), 0) + 1
owed, lost, dups, sent_n, accepted = [], [], [], 0, 0
for line in open(sent):
    ts, i, code = line.split()
    ts, i = float(ts), int(i)
    sent_n += 1
    if code != "202":
        continue
    accepted += 1
    if got.get(i, 0) > 1:
        dups.append(i)
    if state_at(ts) == "joined" and not changes_between(ts, ts + 5.0):
        owed.append(i)
        if got.get(i, 0) != 1:
            lost.append(i)
joins = sum(1 for _, st in states if st == "joined")
cuts = sum(1 for l in open(events) if l.split()[1] == "cut")
final = states[-1][1] if states else "none"
print("sent=%d accepted=%d owed=%d delivered=%d joins=%d cuts=%d final=%s"
      % (sent_n, accepted, len(owed), sum(1 for v in got.values() if v), joins,
         cuts, final))
print("lost=" + ",".join(map(str, lost)))
print("dups=" + ",".join(map(str, dups)))
PY
  local verdict lost dups joins owed final cuts
  verdict=$(head -n 1 "$work/flap.verdict")
  lost=$(sed -n 's/^lost=//p' "$work/flap.verdict")
  dups=$(sed -n 's/^dups=//p' "$work/flap.verdict")
  joins=$(sed -n 's/.* joins=\([0-9]*\).*/\1/p' "$work/flap.verdict")
  owed=$(sed -n 's/.* owed=\([0-9]*\).*/\1/p' "$work/flap.verdict")
  cuts=$(sed -n 's/.* cuts=\([0-9]*\).*/\1/p' "$work/flap.verdict")
  final=$(sed -n 's/.* final=\([a-z]*\).*/\1/p' "$work/flap.verdict")
  say "  $verdict"
  if [[ -z $lost ]] && ((${owed:-0} >= 10)); then
    rt_pass "flap: every broadcast sent while joined ($owed) delivered exactly once"
  else
    rt_fail "flap: sent while joined but not delivered exactly once: [${lost}] (owed ${owed:-0}, need >= 10)"
  fi
  if [[ -z $dups ]]; then
    rt_pass "flap: no broadcast delivered twice"
  else
    rt_fail "flap: delivered twice: [$dups]"
  fi
  if ((${joins:-0} >= 3 && ${cuts:-0} >= 3)); then
    rt_pass "flap: $cuts cuts forced $((joins - 1)) rejoins"
  else
    rt_fail "flap: too little happened: ${cuts:-0} cuts, ${joins:-0} joins"
  fi
  if [[ $final == joined ]] && (($(delivered $ch $id) == 1)); then
    rt_pass "flap: ends joined, and the last broadcast arrives"
  else
    rt_fail "flap: ends $final, last broadcast delivered $(delivered $ch $id) times"
    show_logs "$ch"
  fi
  rt_stop_pid "$listen_pid"
}

# --- scenario: restart --------------------------------------------------------------------

scenario_restart() {
  local ch=netns-restart joins
  say "== restart: the server killed and restarted on the same address"
  listen_start "$ch" 2 2 --backoff-min 0.2 --backoff-max 2
  if ! rt_wait_for -t 20 "$work/$ch.err" "$(joined_re $ch)"; then
    rt_fail "restart: listen never joined"
    show_logs "$ch"
    rt_stop_pid "$listen_pid"
    return
  fi
  send "$ch" 1 >/dev/null
  rt_wait_for -t 5 "$work/$ch.out" '"id":1}'

  # SIGKILL: the kernel closes the sockets; down for 2 s.
  joins=$(rt_count "$work/$ch.err" "$(joined_re $ch)")
  kill -KILL "$RT_SERVER_PID"
  wait "$RT_SERVER_PID" 2>/dev/null
  if rt_wait_for -t 10 "$work/$ch.err" "channel realtime:$ch (errored|closed|joining)"; then
    rt_pass "restart: the client noticed the killed server"
  else
    rt_fail "restart: the client did not notice the killed server within 10 s"
  fi
  sleep 2
  if ! start_server; then
    rt_fail "restart: the server could not listen on port $port again"
    return
  fi
  if rt_wait_for -t 30 -n $((joins + 1)) "$work/$ch.err" "$(joined_re $ch)"; then
    rt_pass "restart: rejoined after SIGKILL and restart"
  else
    rt_fail "restart: not rejoined within 30 s of the restart"
    show_logs "$ch"
  fi
  send "$ch" 2 >/dev/null
  if rt_wait_for -t 10 "$work/$ch.out" '"id":2}' && (($(delivered $ch 2) == 1)); then
    rt_pass "restart: a broadcast after the restart arrives once"
  else
    rt_fail "restart: broadcast after the restart delivered $(delivered $ch 2) times"
  fi

  # SIGTERM and an immediate restart on the same port.
  joins=$(rt_count "$work/$ch.err" "$(joined_re $ch)")
  rt_stop_pid "$RT_SERVER_PID"
  if ! start_server; then
    rt_fail "restart: the server could not listen on port $port right after SIGTERM"
    return
  fi
  if rt_wait_for -t 30 -n $((joins + 1)) "$work/$ch.err" "$(joined_re $ch)"; then
    rt_pass "restart: rejoined after SIGTERM and an immediate restart"
  else
    rt_fail "restart: not rejoined within 30 s of the immediate restart"
    show_logs "$ch"
  fi
  send "$ch" 3 >/dev/null
  if rt_wait_for -t 10 "$work/$ch.out" '"id":3}' && (($(delivered $ch 3) == 1)) \
    && (($(delivered $ch 1) == 1)); then
    rt_pass "restart: broadcasts before and after delivered once each"
  else
    rt_fail "restart: deliveries id1=$(delivered $ch 1) id3=$(delivered $ch 3)"
  fi
  rt_stop_pid "$listen_pid"
}

# --- scenario: webrtc ----------------------------------------------------------------------

# The target bitrate lines of the daemon's log (webrtc-session.c) from time
# $1 on, as "TIME KBPS".
targets_since() {
  awk -v t="$1" '$1 >= t && /target bitrate [0-9]+ kbit\/s/ {
      for (i = 1; i < NF; i++) if ($i == "bitrate") { print $1, $(i + 1); break }
    }' "$work/webrtc-gw.err"
}

# The viewer's latest decoded frame count (0 before its first report).
viewer_frames() {
  local n
  n=$(awk '$2 == "frames" { n = $3 } END { print n + 0 }' \
    "$work/webrtc-viewer.out" 2>/dev/null)
  printf '%s' "${n:-0}"
}

# The target in force: the last one logged, else the definition's bitrate.
in_force() {
  local k
  k=$(targets_since 0 | tail -n 1 | awk '{print $2}')
  printf '%s' "${k:-$start_kbps}"
}

# frames_at_least N: the viewer has decoded N frames or more.
# shellcheck disable=SC2317  # called by rt_wait_until
frames_at_least() { (($(viewer_frames) >= $1)); }

# stepped_below T KBPS: a target below KBPS since T.
# shellcheck disable=SC2317  # called by rt_wait_until
stepped_below() {
  targets_since "$1" | awk -v s="$2" '$2 < s { found = 1 } END { exit !found }'
}

# climbed_since T KBPS: since T, a target above the lowest one in force
# (KBPS at T, then each lower target); prints "TIME KBPS FROM".
# shellcheck disable=SC2317  # called by rt_wait_until
climbed_since() {
  targets_since "$1" | awk -v low="$2" '
    $2 > low { found = 1; print $1, $2, low; exit }
    $2 < low { low = $2 }
    END { exit !found }'
}

# is_past T: the clock is at or past T.
# shellcheck disable=SC2317  # called by rt_wait_until
is_past() { awk -v a="$(now)" -v b="$1" 'BEGIN { exit !(a >= b) }'; }

# plus T SECONDS: the time SECONDS after T.
plus() { awk -v t="$1" -v s="$2" 'BEGIN { printf "%.6f", t + s }'; }

# since T1 T2: seconds from T1 to T2, one decimal.
since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

scenario_webrtc() {
  local ch=netns-webrtc session=netns-webrtc-viewer-1
  local gw_pid viewer_pid t_clean t_imp t_clr kbps line low f0 f1 f2 f3
  say "== webrtc: a viewer across the wire; 300 ms delay and 5 % loss each way for 20 s, then a clean link"
  if [[ -z $viewer_bin || ! -x $viewer_bin ]]; then
    rt_fail "webrtc: no viewer program (the third argument, netns-viewer)"
    return
  fi
  wire clear >/dev/null
  mkdir -p "$work/gw/pipelines" "$work/gw/recordings" || return
  cp "$here/../../pipelines/test-pattern-webrtc.pipeline" "$work/gw/pipelines/" \
    || return
  printf '%s\n' "[realtime]" "url=http://127.0.0.1:$port" \
    "api-key-file=$work/key" "channel=$ch" "heartbeat-interval=2" \
    "[gateway]" "id=netns-robot" "pipelines-dirs=$work/gw/pipelines" \
    "recordings-dir=$work/gw/recordings" "[webrtc]" "connect-timeout=20" \
    >"$work/gw/gateway.conf"
  # The daemon beside the server: its own signalling stays in the server
  # namespace; the viewer's, and the media, cross the wire.
  ip netns exec "$ns_srv" "$gw_bin" run --config "$work/gw/gateway.conf" \
    > >(stamp >"$work/webrtc-gw.out") 2> >(stamp >"$work/webrtc-gw.err") &
  gw_pid=$!
  rt_track_pid "$gw_pid"
  rt_log_file "$work/webrtc-gw.err"
  if ! rt_wait_for -t 20 "$work/webrtc-gw.err" "$(joined_re $ch)"; then
    rt_fail "webrtc: the daemon never joined"
    show_logs webrtc-gw
    rt_stop_pid "$gw_pid"
    return
  fi
  ip netns exec "$ns_cli" "$viewer_bin" --url "http://$srv_addr:$port" \
    --api-key-file "$work/key" --channel "$ch" \
    --pipeline test-pattern-webrtc --session "$session" \
    > >(stamp >"$work/webrtc-viewer.out") 2> >(stamp >"$work/webrtc-viewer.err") &
  viewer_pid=$!
  rt_track_pid "$viewer_pid"
  rt_log_file "$work/webrtc-viewer.err"
  if ! rt_wait_until -t 40 -p "$viewer_pid" frames_at_least 30; then
    rt_fail "webrtc: the viewer in $ns_cli decoded no media (frames $(viewer_frames))"
    tail -n 5 "$work/webrtc-viewer.out" | sed 's/^/  /'
    show_logs webrtc-viewer
    show_logs webrtc-gw
    rt_stop_pid "$viewer_pid"
    rt_stop_pid "$gw_pid"
    return
  fi
  rt_pass "webrtc: watching across the wire, $(viewer_frames) frames decoded"

  # 5 s more on the clean link: no step down (requests for late packets
  # are not loss).
  t_clean=$(now)
  rt_wait_until -t 7 is_past "$(plus "$t_clean" 5)"
  if stepped_below "$t_clean" "$(in_force)"; then
    rt_fail "webrtc: the target stepped down on the clean link ($(targets_since "$t_clean" | awk '{printf "%s ", $2}'))"
  else
    rt_pass "webrtc: the target held at $(in_force) kbit/s for 5 s on the clean link"
  fi

  # Impaired: delay and loss on the viewer's link, both ways, for 20 s.
  wire reset >/dev/null
  kbps=$(in_force)
  t_imp=$(now)
  f0=$(viewer_frames)
  if ! wire delay 300 || ! wire loss 5; then
    rt_fail "webrtc: wire not configured"
  fi
  if rt_wait_until -t 8 -p "$gw_pid" stepped_below "$t_imp" "$kbps"; then
    line=$(targets_since "$t_imp" | head -n 1)
    rt_pass "webrtc: the target stepped down from $kbps to ${line##* } kbit/s $(since "$t_imp" "${line%% *}") s into the loss"
  else
    rt_fail "webrtc: the target did not step down from $kbps within 8 s of the loss (targets since: $(targets_since "$t_imp" | awk '{printf "%s ", $2}'))"
  fi
  rt_wait_until -t 12 is_past "$(plus "$t_imp" 10)"
  f1=$(viewer_frames)
  rt_wait_until -t 12 is_past "$(plus "$t_imp" 20)"
  f2=$(viewer_frames)
  low=$(targets_since "$t_imp" | awk -v m="$start_kbps" '$2 < m { m = $2 } END { print m }')
  if ((f1 - f0 >= 30 && f2 - f1 >= 30)); then
    rt_pass "webrtc: media kept flowing under loss ($((f1 - f0)), then $((f2 - f1)) frames decoded in 10 s; lowest target $low kbit/s)"
  else
    rt_fail "webrtc: media under loss: $((f1 - f0)), then $((f2 - f1)) frames decoded in 10 s (need 30 each)"
  fi
  wire stats >/dev/null
  say "  wire: $(grep '^stats' "$work/wire.log" | tail -n 1)"

  # Clean again: the target climbs from the one in force.
  t_clr=$(now)
  wire clear >/dev/null
  low=$(in_force)
  if rt_wait_until -t 30 -p "$gw_pid" climbed_since "$t_clr" "$low"; then
    line=$(climbed_since "$t_clr" "$low")
    # shellcheck disable=SC2086  # "TIME KBPS FROM" split on purpose
    set -- $line
    rt_pass "webrtc: the target climbed back from $3 to $2 kbit/s $(since "$t_clr" "$1") s after the link cleared"
  else
    rt_fail "webrtc: the target did not climb within 30 s of the link clearing (in force $low; since: $(targets_since "$t_clr" | awk '{printf "%s ", $2}'))"
  fi
  f3=$(viewer_frames)
  if rt_wait_until -t 5 -p "$viewer_pid" frames_at_least $((f3 + 30)); then
    rt_pass "webrtc: media flows on the clean link ($(viewer_frames) frames in all)"
  else
    rt_fail "webrtc: media stopped after the link cleared (frames $(viewer_frames))"
  fi
  rt_stop_pid "$viewer_pid"
  rt_stop_pid "$gw_pid"
}

# --- main ------------------------------------------------------------------------------

if ! setup_topology; then
  rt_fail "setup: namespaces, veth pairs or the wire could not be set up"
  rt_finish
fi
if ! start_server; then
  rt_fail "setup: realtime-server did not start in $ns_srv"
  rt_finish
fi
if [[ $(ip netns exec "$ns_cli" curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
  -X POST "http://$srv_addr:$port/api/broadcast") == 000 ]]; then
  rt_fail "setup: the client namespace cannot reach $srv_addr:$port over the wire"
  rt_finish
fi
rt_pass "setup: $ns_cli reaches realtime-server in $ns_srv through $ns_wire"

for s in $scenarios; do
  case $s in
    cut) scenario_cut ;;
    lossy) scenario_lossy ;;
    flap) scenario_flap ;;
    restart) scenario_restart ;;
    webrtc) scenario_webrtc ;;
    *) rt_fail "unknown scenario '$s'" ;;
  esac
  wire clear >/dev/null 2>&1 || true
done

rt_finish
