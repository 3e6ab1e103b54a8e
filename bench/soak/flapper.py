#!/usr/bin/python3
"""Many flapping TCP listeners in one process (the soak's scanners): one listener per
address on PORT, each accepting and closing connections at once, and each closed and
re-opened at random times so that the link to it goes down and up. One epoll, no threads.

    flapper.py STATUS_FILE PORT SEED MIN_S MAX_S ADDR [ADDR ...]

Every listener starts open; each toggles after a random time in [MIN_S, MAX_S). The status
file holds "<toggles> <accepted> <open listeners>" (rewritten every second). Loopback
addresses only. SIGUSR1 stops the toggling (every listener stays as it is). Stops on SIGTERM
or SIGINT.
"""
import ipaddress
import os
import random
import select
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "core"))
from peers import accept_all, write_status  # noqa: E402  (one epoll listener pool's helpers)


def main():
    status, port, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    lo, hi, addrs = float(sys.argv[4]), float(sys.argv[5]), sys.argv[6:]
    for a in addrs:
        if not ipaddress.ip_address(a).is_loopback:
            sys.exit("flapper.py: %s is not a loopback address" % a)
    rnd = random.Random(seed)
    ep = select.epoll()
    socks = {}  # addr -> socket or None (closed)
    by_fd = {}
    due = {}

    def open_one(a):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, port))
        s.listen(128)
        s.setblocking(False)
        socks[a] = s
        by_fd[s.fileno()] = s
        ep.register(s.fileno(), select.EPOLLIN)

    def close_one(a):
        s = socks.pop(a)
        ep.unregister(s.fileno())
        del by_fd[s.fileno()]
        s.close()

    now = time.monotonic()
    for a in addrs:
        open_one(a)
        due[a] = now + rnd.uniform(lo, hi)

    stopping = []
    signal.signal(signal.SIGTERM, lambda *a: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *a: stopping.append(1))
    frozen = []  # SIGUSR1: stop toggling, keep every listener as it is
    signal.signal(signal.SIGUSR1, lambda *a: frozen.append(1))
    toggles = accepted = 0
    next_write = 0.0
    with open(status + ".ready", "w") as f:
        f.write("%d\n" % len(addrs))
    while not stopping:
        try:
            ready = ep.poll(0.05)
        except InterruptedError:
            continue
        for fd, _ in ready:
            s = by_fd.get(fd)
            if s is not None:
                accepted += accept_all(s)
        now = time.monotonic()
        for a, t in due.items():
            if t <= now and not frozen:
                if a in socks:
                    close_one(a)
                else:
                    try:
                        open_one(a)
                    except OSError:  # the port is still held: try again soon
                        due[a] = now + 1
                        continue
                toggles += 1
                due[a] = now + rnd.uniform(lo, hi)
        if now >= next_write:
            next_write = now + 1
            write_status(status, "%d %d %d" % (toggles, accepted, len(socks)))
    for s in list(socks.values()):
        s.close()
    with open(status, "w") as f:
        f.write("%d %d %d\n" % (toggles, accepted, len(socks)))


if __name__ == "__main__":
    main()
