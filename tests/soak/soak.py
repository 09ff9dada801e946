#!/usr/bin/env python3
# realtime-gateway
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Soak test: "realtime-gateway run" against the standalone local realtime
server for DURATION seconds, with

  * a forced reconnect every 15 s: SIGUSR1 to the daemon, and every 3rd
    time instead a restart of the server on the same port (a real loss of
    the TCP link, seen by the daemon as a dropped socket);
  * a pipeline request every 10 s, alternating start and stop of two
    pipelines of its own (soak-fast: videotestsrc ! fakesink parsed on every
    start; soak-warm: the same kind kept warm in READY between runs), each
    start with different params, sent through the server's REST broadcast
    endpoint as a dashboard would; every start must be answered "playing"
    and every stop "stopped" (read by a "realtime-gateway listen" on the
    channel);
  * samples of process_resident_memory_bytes, process_open_fds,
    process_threads and gateway_main_loop_sources from the daemon's
    /metrics, taken with both pipelines stopped.

Sampling: every min(60, max(5, DURATION / 10)) seconds (60 s for runs of
ten minutes or more, DURATION / 10 for shorter ones: 30 s in the 5-minute
CI run), plus one at the end. The first two samples are warm-up; the second
is the baseline (after 2 minutes in a long run, after 1 minute in the CI
run). The run fails when the end exceeds the baseline by more than 1 % in
any of the four. Counts (fds, threads, sources) compare the end sample with
sample 2; each is the minimum of three scrapes 0.3 s apart, so a timer or
socket that happens to be in flight during one scrape is not growth (a
leak is there in all three). RSS moves by a few hundred KiB between
samples with no trend (glibc arenas of the streaming threads, GStreamer's
caches: +-350 KiB over a measured hour), so it compares the median of
samples 2-4 with the median of the last three, and growth below 512 KiB is
ignored whatever the percentage (the limit is max(1 %, 512 KiB)).

It also fails when a forced reconnect was not followed by a new
connection and a join, when the daemon dies, and when SIGTERM at the end
does not make it exit 0.

Output: one line per action worth seeing, the sample table, PASS/FAIL
lines and "N passed, N failed". Exit status 0 when everything passed.

Environment (optional): RT_GATEWAY_BIN, RT_SERVER_BIN (default: under
BUILD_DIR), SOAK_RECONNECT_S (15), SOAK_PIPELINE_S (10),
SOAK_SERVER_RESTART_EVERY (3), SOAK_SAMPLE_S (derived as above),
SOAK_KEEP=1 (keep the temporary directory with every log),
SOAK_TABLE=FILE (also write the final table, as Markdown, to FILE).
"""

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CHANNEL = "soak-robot"
RSS_FLOOR = 512 * 1024
GROWTH_LIMIT = 0.01
REPLY_TIMEOUT = 20.0
RECONNECT_TIMEOUT = 30.0

FAST_PIPELINE = """\
# soak-fast: parsed, started and torn down on every start.
[pipeline]
description=videotestsrc is-live=true name=src ! video/x-raw,width=160,height=120,framerate=15/1 ! videoconvert ! fakesink name=sink
summary=soak: cheap live test pattern into fakesink
start-timeout=10
stop-timeout=5

[param:pattern]
element=src
property=pattern
type=enum
values=smpte;ball;snow;black
default=smpte
"""

WARM_PIPELINE = """\
# soak-warm: parsed once, kept in READY between runs.
[pipeline]
description=videotestsrc is-live=true name=src ! video/x-raw,width=160,height=120,framerate=15/1 ! fakesink name=sink
summary=soak: warm live test pattern into fakesink
start-timeout=10
stop-timeout=5
warm=true

[param:speed]
element=src
property=horizontal-speed
type=int
min=-8
max=8
default=0
"""

PATTERNS = ["smpte", "ball", "snow", "black"]


class Interrupted(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Listener:
    """realtime-gateway listen on the channel: collects pipeline_state
    replies by request_id and counts its own joins."""

    def __init__(self, argv, err_path):
        self.cond = threading.Condition()
        self.replies = {}  # request_id -> [payload, ...]
        self.joins = 0
        self.err = open(err_path, "a", encoding="utf-8")
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_out(self):
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("event") != "pipeline_state":
                continue
            payload = msg.get("payload") or {}
            rid = payload.get("request_id")
            with self.cond:
                self.replies.setdefault(rid, []).append(payload)
                self.cond.notify_all()

    def _read_err(self):
        for line in self.proc.stderr:
            self.err.write(line)
            self.err.flush()
            if re.search(r"^channel \S+ joined", line):
                with self.cond:
                    self.joins += 1
                    self.cond.notify_all()

    def wait_joins(self, n, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while self.joins < n:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def wait_state(self, rid, want, timeout):
        """The first of @want or "failed" answering @rid, or None."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for p in self.replies.get(rid, []):
                    if p.get("state") in (want, "failed"):
                        return p
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Soak:
    def __init__(self, duration, build_dir):
        self.duration = duration
        self.gateway = os.environ.get("RT_GATEWAY_BIN") or os.path.join(
            build_dir, "gateway", "realtime-gateway"
        )
        self.server_bin = os.environ.get("RT_SERVER_BIN") or os.path.join(
            build_dir, "tests", "realtime-server"
        )
        for b in (self.gateway, self.server_bin):
            if not os.access(b, os.X_OK):
                raise SystemExit("soak: %s is not an executable (build first)" % b)
        self.reconnect_s = float(os.environ.get("SOAK_RECONNECT_S", "15"))
        self.pipeline_s = float(os.environ.get("SOAK_PIPELINE_S", "10"))
        self.restart_every = int(os.environ.get("SOAK_SERVER_RESTART_EVERY", "3"))
        default_sample = min(60.0, max(5.0, duration / 10.0))
        self.sample_s = float(os.environ.get("SOAK_SAMPLE_S", default_sample))
        self.keep = os.environ.get("SOAK_KEEP") == "1"
        self.dir = tempfile.mkdtemp(prefix="rtg-soak-")
        self.key = "soak-key-%d" % os.getpid()
        self.server = None
        self.port = 0
        self.daemon = None
        self.listener = None
        self.metrics_port = free_port()
        self.samples = []
        self.failures = []  # free text, one per failed request/reconnect
        self.starts = {"sent": 0, "playing": 0}
        self.stops = {"sent": 0, "stopped": 0}
        self.reconnects = {"usr1": 0, "restart": 0, "ok": 0}
        self.seq = 0
        self.phase = "stopped"

    # --- processes -------------------------------------------------------

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def start_server(self):
        argv = [self.server_bin, "--port", str(self.port), "--api-key-file",
                self.path("apikey")]
        err = open(self.path("server.log"), "a", encoding="utf-8")
        deadline = time.monotonic() + 20
        while True:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err,
                                    text=True)
            line = proc.stdout.readline()
            m = re.match(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.server = proc
                self.port = int(m.group(1))
                return
            proc.wait()
            if time.monotonic() > deadline:
                raise RuntimeError("the realtime server did not start "
                                   "(see %s)" % self.path("server.log"))
            time.sleep(0.2)  # the port may still be held: try again

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server = None

    def write_files(self):
        os.makedirs(self.path("recordings"), exist_ok=True)
        with open(self.path("pipelines", "soak-fast.pipeline"), "w") as f:
            f.write(FAST_PIPELINE)
        with open(self.path("pipelines", "soak-warm.pipeline"), "w") as f:
            f.write(WARM_PIPELINE)
        with open(self.path("gateway.conf"), "w") as f:
            f.write(
                "[realtime]\n"
                "url=http://127.0.0.1:%d\n"
                "api-key-file=apikey\n"
                "channel=%s\n"
                "heartbeat-interval=5\n"
                "join-timeout=5\n"
                "backoff-min=0.2\n"
                "backoff-max=2\n"
                "[gateway]\n"
                "id=soak-robot\n"
                "pipelines-dirs=pipelines\n"
                "recordings-dir=recordings\n"
                "metrics-address=127.0.0.1:%d\n"
                % (self.port, CHANNEL, self.metrics_port)
            )

    def start_daemon(self):
        err = open(self.path("daemon.log"), "a", encoding="utf-8")
        self.daemon = subprocess.Popen(
            [self.gateway, "run", "--config", self.path("gateway.conf")],
            stdout=err, stderr=err)

    def start_listener(self):
        self.listener = Listener(
            [self.gateway, "listen", "--url",
             "http://127.0.0.1:%d" % self.port, "--api-key-file",
             self.path("apikey"), "--channel", CHANNEL,
             "--heartbeat-interval", "5", "--backoff-min", "0.1",
             "--backoff-max", "1"],
            self.path("listener.log"))

    def daemon_alive(self):
        return self.daemon is not None and self.daemon.poll() is None

    # --- HTTP ------------------------------------------------------------

    def metrics(self):
        url = "http://127.0.0.1:%d/metrics" % self.metrics_port
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read().decode("utf-8", "replace")
        out = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            name, _, value = line.rpartition(" ")
            try:
                out[name] = float(value)
            except ValueError:
                pass
        return out

    def metrics_or_none(self):
        try:
            return self.metrics()
        except (OSError, urllib.error.URLError):
            return None

    def broadcast(self, event, payload):
        body = json.dumps({"messages": [{"topic": CHANNEL, "event": event,
                                         "payload": payload}]}).encode()
        req = urllib.request.Request(
            "http://127.0.0.1:%d/realtime/v1/api/broadcast" % self.port,
            data=body, method="POST",
            headers={"apikey": self.key, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            if r.status != 202:
                raise RuntimeError("REST broadcast answered %d" % r.status)

    # --- waiting ---------------------------------------------------------

    def wait_joined(self, min_connects, timeout):
        """The daemon has connected at least @min_connects times and its
        channel is joined."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.daemon_alive():
                return False
            m = self.metrics_or_none()
            if (m and m.get("realtime_connects_total", 0) >= min_connects
                    and m.get("realtime_channel_joined") == 1):
                return True
            time.sleep(0.1)
        return False

    # --- actions ---------------------------------------------------------

    def reconnect(self):
        n = self.reconnects["usr1"] + self.reconnects["restart"] + 1
        m = self.metrics_or_none() or {}
        connects = m.get("realtime_connects_total", 0)
        listener_joins = self.listener.joins
        restart = self.restart_every > 0 and n % self.restart_every == 0
        t0 = time.monotonic()
        if restart:
            self.reconnects["restart"] += 1
            self.stop_server()
            self.start_server()
        else:
            self.reconnects["usr1"] += 1
            self.daemon.send_signal(signal.SIGUSR1)
        ok = self.wait_joined(connects + 1, RECONNECT_TIMEOUT)
        if ok and restart:
            ok = self.listener.wait_joins(listener_joins + 1, RECONNECT_TIMEOUT)
        what = "server restart" if restart else "SIGUSR1"
        if ok:
            self.reconnects["ok"] += 1
            log("  t=%5.0fs reconnect %d (%s): rejoined in %.2f s"
                % (self.elapsed(), n, what, time.monotonic() - t0))
        else:
            self.failures.append("reconnect %d (%s) not followed by a new "
                                 "connection and join within %.0f s"
                                 % (n, what, RECONNECT_TIMEOUT))
            log("  t=%5.0fs reconnect %d (%s): NOT rejoined"
                % (self.elapsed(), n, what))

    def request(self, event, pipeline, params=None):
        self.seq += 1
        rid = "soak-%s-%s-%d" % (event, pipeline, self.seq)
        payload = {"pipeline": pipeline, "request_id": rid}
        if params is not None:
            payload["params"] = params
        try:
            self.broadcast(event, payload)
        except (OSError, urllib.error.URLError, RuntimeError) as e:
            self.failures.append("%s %s: REST broadcast failed: %s"
                                 % (event, rid, e))
        return rid

    def pipelines_step(self):
        n = self.seq
        if self.phase == "stopped":
            reqs = [
                ("soak-fast", {"pattern": PATTERNS[(n // 2) % len(PATTERNS)]}),
                ("soak-warm", {"speed": (n // 2) % 17 - 8}),
            ]
            sent = [(p, self.request("start", p, params))
                    for p, params in reqs]
            self.starts["sent"] += len(sent)
            self.phase = "playing"
            self.collect(sent, "playing", self.starts)
        else:
            sent = [(p, self.request("stop", p))
                    for p in ("soak-fast", "soak-warm")]
            self.stops["sent"] += len(sent)
            self.phase = "stopped"
            self.collect(sent, "stopped", self.stops)

    def collect(self, sent, want, counter):
        for pipeline, rid in sent:
            p = self.listener.wait_state(rid, want, REPLY_TIMEOUT)
            if p and p.get("state") == want:
                counter[want] += 1
                continue
            why = ("answered failed: %s" % p.get("error")) if p else \
                "no %s reply within %.0f s" % (want, REPLY_TIMEOUT)
            self.failures.append("%s (t=%.0fs): %s" % (rid, self.elapsed(), why))
            log("  t=%5.0fs %s: %s" % (self.elapsed(), rid, why))

    def sample(self, label=""):
        counts = {"fds": [], "threads": [], "sources": []}
        m = None
        for i in range(3):
            if i:
                time.sleep(0.3)
            m = self.metrics_or_none()
            if m is None:
                continue
            counts["fds"].append(m.get("process_open_fds", -1))
            counts["threads"].append(m.get("process_threads", -1))
            counts["sources"].append(m.get("gateway_main_loop_sources", -1))
        if m is None or not counts["fds"]:
            self.failures.append("sample at t=%.0fs: /metrics unreachable"
                                 % self.elapsed())
            return
        s = {
            "n": len(self.samples) + 1,
            "t": self.elapsed(),
            "rss": m.get("process_resident_memory_bytes", -1),
            "fds": min(counts["fds"]),
            "threads": min(counts["threads"]),
            "sources": min(counts["sources"]),
            "connects": m.get("realtime_connects_total", 0),
            "reconnects": m.get("realtime_reconnects_total", 0),
            "joins": m.get("realtime_joins_total", 0),
            "requests": m.get("gateway_requests_total", 0),
            "starts": self.starts["playing"],
            "stops": self.stops["stopped"],
            "label": label,
        }
        self.samples.append(s)
        log(self.row(s))

    # --- report ----------------------------------------------------------

    HEADER = ("  #   t (s)   RSS (KiB)  fds  threads  sources  connects  "
              "joins  requests  playing  stopped")

    def row(self, s):
        mark = " (baseline)" if s["n"] == 2 else ""
        mark += (" " + s["label"]) if s["label"] else ""
        return ("%3d %7.0f %11.0f %4d %8d %8d %9d %6d %9d %8d %8d%s"
                % (s["n"], s["t"], s["rss"] / 1024, s["fds"], s["threads"],
                   s["sources"], s["connects"], s["joins"], s["requests"],
                   s["starts"], s["stops"], mark))

    def markdown_table(self):
        lines = ["| # | t (s) | RSS (KiB) | fds | threads | GSources | "
                 "connects | joins | requests | playing | stopped |",
                 "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for s in self.samples:
            lines.append("| %d%s | %.0f | %.0f | %d | %d | %d | %d | %d | %d "
                         "| %d | %d |" % (
                             s["n"], " (baseline)" if s["n"] == 2 else
                             (" (end)" if s["label"] else ""),
                             s["t"], s["rss"] / 1024, s["fds"], s["threads"],
                             s["sources"], s["connects"], s["joins"],
                             s["requests"], s["starts"], s["stops"]))
        return "\n".join(lines) + "\n"

    def elapsed(self):
        return time.monotonic() - self.t0

    # --- main ------------------------------------------------------------

    def run(self):
        self.t0 = time.monotonic()
        results = []  # (ok, text)
        try:
            self.write_files_and_start()
            results = self.loop()
        except Interrupted:
            results.append((False, "interrupted"))
        finally:
            results += self.shutdown()
        return self.report(results)

    def write_files_and_start(self):
        os.makedirs(self.path("pipelines"), exist_ok=True)
        with open(self.path("apikey"), "w") as f:
            f.write(self.key + "\n")
        self.start_server()
        self.write_files()
        self.start_daemon()
        self.start_listener()
        if not self.wait_joined(1, 30):
            self.failures.append("the daemon never joined (see %s)"
                                 % self.path("daemon.log"))
            raise Interrupted()
        if not self.listener.wait_joins(1, 30):
            self.failures.append("the listener never joined")
            raise Interrupted()
        log("soak: %.0f s, reconnect every %.0f s (server restart every %d), "
            "pipeline request every %.0f s, sample every %.0f s, baseline = "
            "sample 2" % (self.duration, self.reconnect_s, self.restart_every,
                          self.pipeline_s, self.sample_s))
        log("soak: server port %d, metrics port %d, logs in %s"
            % (self.port, self.metrics_port, self.dir))
        log(self.HEADER)

    def loop(self):
        start = time.monotonic()
        self.t0 = start
        end = start + self.duration
        next_reconnect = start + self.reconnect_s
        next_pipe = start + min(2.0, self.pipeline_s)
        next_sample = start + self.sample_s
        sample_due = False
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if not self.daemon_alive():
                self.failures.append("the daemon died at t=%.0fs (exit %s)"
                                     % (self.elapsed(), self.daemon.poll()))
                break
            if now >= next_sample:
                sample_due = True
                next_sample += self.sample_s
            if sample_due and self.phase == "stopped":
                self.sample()
                sample_due = False
            elif now >= next_reconnect:
                self.reconnect()
                next_reconnect += self.reconnect_s
            elif now >= next_pipe:
                self.pipelines_step()
                next_pipe += self.pipeline_s
            else:
                time.sleep(max(0.0, min(next_reconnect, next_pipe,
                                        next_sample, end) - now))
        if self.phase == "playing" and self.daemon_alive():
            self.pipelines_step()
        if self.daemon_alive():
            time.sleep(1)
            self.sample("end")
        return []

    def shutdown(self):
        results = []
        if self.daemon is not None:
            alive = self.daemon_alive()
            results.append((alive, "the daemon ran to the end of the soak"))
            if alive:
                self.daemon.send_signal(signal.SIGTERM)
                try:
                    code = self.daemon.wait(30)
                except subprocess.TimeoutExpired:
                    self.daemon.kill()
                    code = self.daemon.wait()
                results.append((code == 0, "SIGTERM at the end: exit status "
                                "%s" % code))
        if self.listener:
            self.listener.stop()
        self.stop_server()
        return results

    def growth_checks(self):
        """End against baseline (sample 2). Counts: the end sample against
        the baseline sample. RSS moves by a few hundred KiB between samples
        without any trend (glibc arenas of the streaming threads, GStreamer
        caches), so it compares the median of the three samples from the
        baseline on with the median of the last three, against
        max(1 %, RSS_FLOOR)."""
        out = []
        if len(self.samples) < 3:
            out.append((False, "resource growth: only %d samples, need 3 "
                        "(baseline is sample 2)" % len(self.samples)))
            return out
        after = self.samples[1:]
        windows = len(after) >= 5
        for key, name in (("rss", "RSS"), ("fds", "open fds"),
                          ("threads", "threads"),
                          ("sources", "main-loop GSources")):
            if key == "rss" and windows:
                b = statistics.median(s[key] for s in after[:3])
                v = statistics.median(s[key] for s in after[-3:])
                how = ("median of samples %d-%d vs median of samples %d-%d"
                       % (after[0]["n"], after[2]["n"], after[-3]["n"],
                          after[-1]["n"]))
            else:
                b, v = after[0][key], after[-1][key]
                how = "sample %d vs sample %d" % (after[0]["n"],
                                                  after[-1]["n"])
            floor = RSS_FLOOR if key == "rss" else 0
            allowed = max(b * GROWTH_LIMIT, floor)
            grew = v - b
            if key == "rss":
                def unit(x):
                    return "%.0f KiB" % (x / 1024)
                limit = "max(1 %%, %d KiB)" % (RSS_FLOOR // 1024)
            else:
                def unit(x):
                    return "%d" % x
                limit = "1 %"
            text = ("%s: %s -> %s, growth %s (%+.2f %%), limit %s = %s "
                    "(%s); range after warm-up %s-%s"
                    % (name, unit(b), unit(v), unit(grew),
                       100.0 * grew / b if b > 0 else 0, limit,
                       unit(allowed), how, unit(min(s[key] for s in after)),
                       unit(max(s[key] for s in after))))
            out.append((grew <= allowed, text))
        return out

    def report(self, results):
        checks = []
        checks.append((self.starts["sent"] > 0
                       and self.starts["playing"] == self.starts["sent"],
                       "starts answered playing: %d of %d"
                       % (self.starts["playing"], self.starts["sent"])))
        checks.append((self.stops["sent"] > 0
                       and self.stops["stopped"] == self.stops["sent"],
                       "stops answered stopped: %d of %d"
                       % (self.stops["stopped"], self.stops["sent"])))
        n_rec = self.reconnects["usr1"] + self.reconnects["restart"]
        checks.append((n_rec > 0 and self.reconnects["ok"] == n_rec,
                       "forced reconnects followed by a rejoin: %d of %d "
                       "(%d SIGUSR1, %d server restarts)"
                       % (self.reconnects["ok"], n_rec, self.reconnects["usr1"],
                          self.reconnects["restart"])))
        checks += self.growth_checks()
        checks += results

        log("")
        log("soak samples (counts: minimum of 3 scrapes; sample 2 is the "
            "baseline):")
        log(self.HEADER)
        for s in self.samples:
            log(self.row(s))
        table = os.environ.get("SOAK_TABLE")
        if table:
            with open(table, "w") as f:
                f.write(self.markdown_table())
        log("")
        for f in self.failures:
            log("  problem: %s" % f)
        passed = failed = 0
        for ok, text in checks:
            log("%s: %s" % ("PASS" if ok else "FAIL", text))
            if ok:
                passed += 1
            else:
                failed += 1
        if failed or self.keep:
            log("logs kept in %s" % self.dir)
        else:
            subprocess.run(["rm", "-rf", self.dir], check=False)
        log("%d passed, %d failed" % (passed, failed))
        return 0 if failed == 0 else 1


def main(argv):
    duration = float(argv[1]) if len(argv) > 1 else 300.0
    build_dir = argv[2] if len(argv) > 2 else "build"
    if duration < 30:
        raise SystemExit("soak: DURATION_SECONDS must be at least 30")

    def on_signal(signum, frame):
        raise Interrupted()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return Soak(duration, build_dir).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
