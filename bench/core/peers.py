#!/usr/bin/python3
"""Many TCP peers in one process: listens on every (address, port) given, accepts each
connection and closes it at once, and writes how many it accepted to a status file every
tenth of a second ("<accepted> <CLOCK_MONOTONIC seconds>"). One epoll, no threads: a
thousand listeners cost little.

    peers.py STATUS_FILE ADDR:PORT [ADDR:PORT ...]
    peers.py STATUS_FILE --range 127.0.1.1 250 41002,41015,41016,41017
    peers.py STATUS_FILE --greet 22 "SSH-2.0-x" --greet 25 "220 ok" --range ...

--greet PORT TEXT sends TEXT and CR LF on every connection to PORT before closing it (an SSH
identification, an SMTP greeting), as appliances do.

Loopback addresses only (127.0.0.0/8). Stops on SIGTERM or SIGINT.
"""
import ipaddress
import os
import select
import signal
import socket
import sys
import time


def endpoints(args):
    while args and args[0] == "--range":  # one or more ranges
        first, count, ports = ipaddress.IPv4Address(args[1]), int(args[2]), args[3]
        for i in range(count):
            for p in ports.split(","):
                yield str(first + i), int(p)
        args = args[4:]
    for a in args:
        host, _, port = a.rpartition(":")
        yield host, int(port)


def accept_all(s, greeting=None):
    """Accepts and closes every connection waiting on the non-blocking listener s, after
    sending greeting when there is one; returns how many."""
    n = 0
    while True:
        try:
            c, _ = s.accept()
        except OSError:  # BlockingIOError and InterruptedError included: nothing more now
            return n
        n += 1
        if greeting:
            try:
                c.send(greeting)
            except OSError:
                pass
        c.close()


def write_status(path, line):
    """Replaces path with line atomically, for a reader polling it."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(line + "\n")
    os.replace(tmp, path)


def main():
    args = sys.argv[2:]
    greet = {}
    while args and args[0] == "--greet":
        greet[int(args[1])] = args[2].encode() + b"\r\n"
        args = args[3:]
    status, eps = sys.argv[1], list(endpoints(args))
    for host, _ in eps:
        if not ipaddress.IPv4Address(host).is_loopback:
            sys.exit("peers.py: %s is not a loopback address" % host)
    ep = select.epoll()
    listeners = {}
    for host, port in eps:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(512)
        s.setblocking(False)
        listeners[s.fileno()] = (s, greet.get(port))
        ep.register(s.fileno(), select.EPOLLIN)

    stopping = []
    signal.signal(signal.SIGTERM, lambda *a: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *a: stopping.append(1))

    accepted = 0
    next_write = 0.0
    with open(status + ".ready", "w") as f:
        f.write("%d\n" % len(listeners))
    while not stopping:
        try:
            ready = ep.poll(0.1)
        except InterruptedError:
            continue
        for fd, _ in ready:
            accepted += accept_all(*listeners[fd])
        now = time.monotonic()
        if now >= next_write:
            next_write = now + 0.1
            write_status(status, "%d %.3f" % (accepted, now))
    for s, _ in listeners.values():
        s.close()
    with open(status, "w") as f:
        f.write("%d %.3f\n" % (accepted, time.monotonic()))


if __name__ == "__main__":
    main()
