#!/usr/bin/env python3
# realtime-gateway: a userspace "wire" between two network interfaces, for
# the network-namespace tests (tests/netns/test-netns.sh).
#
# It copies Ethernet frames between interface A and interface B (both in
# the namespace it runs in, each the end of a veth pair whose other end is
# in the client or the server namespace) and on the way can delay them,
# drop a share of them, or drop all of them (a cut link: no FIN, no RST,
# packets just vanish). Frames leave in order per direction.
#
# It exists because tc netem (sch_netem) is not in every kernel (not in
# this project's CI kernel), while veth and AF_PACKET are.
#
# Usage: rtg-wire.py IFACE_A IFACE_B CONTROL_FIFO
# Commands, one per line on CONTROL_FIFO (applied at once, echoed to
# stdout as "ok <command>"):
#   delay MS       one-way delay added in each direction (0: none)
#   loss PERCENT   share of frames dropped in each direction (0-100)
#   cut            drop every frame
#   restore        forward again (delay and loss stay as set)
#   clear          delay 0, loss 0, restore
#   stats          print forwarded/dropped counters
#   reset          zero the counters
# Needs: root (AF_PACKET), Python 3 (standard library only).

import heapq
import os
import random
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
MAX_FRAME = 65536


def open_iface(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    s.setblocking(False)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    return s


def main():
    if len(sys.argv) != 4:
        print("usage: rtg-wire.py IFACE_A IFACE_B CONTROL_FIFO",
              file=sys.stderr)
        return 2
    name_a, name_b, fifo = sys.argv[1:]
    a, b = open_iface(name_a), open_iface(name_b)
    peer = {a: b, b: a}
    label = {a: f"{name_a}->{name_b}", b: f"{name_b}->{name_a}"}
    # O_RDWR: the FIFO never reports EOF when a writer closes it.
    ctl = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    ctl_buf = b""

    delay = 0.0
    loss = 0.0
    cut = False
    counters = {"forwarded": 0, "dropped": 0}
    queue = []  # (due, seq, out_socket, frame)
    seq = 0
    rng = random.Random()

    print(f"wire {name_a} <-> {name_b} up", flush=True)
    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            if cut:
                # Frames in flight when the link is cut are lost too.
                counters["dropped"] += 1
                continue
            try:
                out.send(frame)
                counters["forwarded"] += 1
            except OSError:
                counters["dropped"] += 1
        timeout = None
        if queue:
            timeout = max(0.0, queue[0][0] - time.monotonic())
        try:
            ready, _, _ = select.select([a, b, ctl], [], [], timeout)
        except InterruptedError:
            continue

        for s in ready:
            if s == ctl:
                ctl_buf += os.read(ctl, 4096)
                while b"\n" in ctl_buf:
                    line, ctl_buf = ctl_buf.split(b"\n", 1)
                    words = line.decode(errors="replace").split()
                    if not words:
                        continue
                    cmd = words[0]
                    if cmd == "delay" and len(words) == 2:
                        delay = float(words[1]) / 1000.0
                    elif cmd == "loss" and len(words) == 2:
                        loss = float(words[1]) / 100.0
                    elif cmd == "cut":
                        cut = True
                    elif cmd == "restore":
                        cut = False
                    elif cmd == "clear":
                        delay, loss, cut = 0.0, 0.0, False
                    elif cmd == "reset":
                        counters = {"forwarded": 0, "dropped": 0}
                    elif cmd == "stats":
                        print("stats forwarded=%d dropped=%d queued=%d" % (
                            counters["forwarded"], counters["dropped"],
                            len(queue)), flush=True)
                    elif cmd == "quit":
                        print("ok quit", flush=True)
                        return 0
                    else:
                        print(f"error unknown command: {line!r}", flush=True)
                        continue
                    print("ok " + " ".join(words), flush=True)
                continue
            # Drain what is there; each frame is judged on its own.
            for _ in range(256):
                try:
                    frame, addr = s.recvfrom(MAX_FRAME)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own sends, seen on the way out
                if cut or (loss > 0 and rng.random() < loss):
                    counters["dropped"] += 1
                    continue
                if len(frame) > 1514 + 4:
                    # A GSO super-frame: offloads were not turned off.
                    print(f"warning: {len(frame)}-byte frame on {label[s]}",
                          flush=True)
                seq += 1
                heapq.heappush(queue,
                               (time.monotonic() + delay, seq, peer[s], frame))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
