#!/usr/bin/env python3
"""Print the decoded signals a fieldgate `nats` endpoint with
`encoding: signals` publishes (configs/nats-signals.yaml, the demo).

usage: nats-signals-sub.py [HOST:PORT] [SUBJECT]
  defaults: 127.0.0.1:4222 'fieldgate.>' 

It needs nothing but Debian's python3: it speaks the NATS wire protocol
itself (CONNECT, SUB, PING/PONG, MSG/HMSG). It prints "ready" once
subscribed, then one line per message, e.g.

  fieldgate.bench1.bus.can.123  Engine  EngineSpeed=850.5 rpm  Gear=3 (Drive)

and, when interrupted (Ctrl-C, SIGTERM), "received N".
With `nats` (the NATS CLI) the same is `nats sub 'fieldgate.>'`.
"""
import json
import signal
import socket
import sys


def fmt(name, s):
    v = s.get("value")
    if isinstance(v, float):
        v = int(v) if v.is_integer() else "%.10g" % v
    out = "%s=%s" % (name, v)
    if s.get("unit"):
        out += " " + s["unit"]
    if s.get("text"):
        out += " (%s)" % s["text"]
    return out


def main():
    addr = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:4222"
    subject = sys.argv[2] if len(sys.argv) > 2 else "fieldgate.>"
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=30)
    f = s.makefile("rb")
    info = f.readline()
    if not info.startswith(b"INFO "):
        sys.exit("%s: not a NATS server: %r" % (addr, info[:60]))
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1,'
              b'"name":"nats-signals-sub.py"}\r\n')
    s.sendall(b"SUB " + subject.encode() + b" 1\r\nPING\r\n")
    while True:
        line = f.readline()
        if line == b"PONG\r\n":
            break
        if not line or line.startswith(b"-ERR"):
            sys.exit("%s: %r" % (addr, line))
    print("ready", flush=True)
    s.settimeout(None)
    signal.signal(signal.SIGTERM, stop)
    n = [0]
    try:
        read(s, f, addr, n)
    except (KeyboardInterrupt, Stop):
        pass
    print("received %d" % n[0], flush=True)


class Stop(Exception):
    pass


def stop(*_):
    raise Stop()


def read(s, f, addr, n):
    """Print each message; count them in n[0]."""
    while True:
        line = f.readline()
        if not line:
            sys.exit("%s closed the connection" % addr)
        if line == b"PING\r\n":
            s.sendall(b"PONG\r\n")
            continue
        parts = line.split()
        if not parts or parts[0] not in (b"MSG", b"HMSG"):
            if line.startswith(b"-ERR"):
                sys.exit("%s: %r" % (addr, line))
            continue  # INFO updates, PONG
        # MSG subject sid [reply] len / HMSG subject sid [reply] hdr_len len
        total = int(parts[-1])
        hlen = int(parts[-2]) if parts[0] == b"HMSG" else 0
        body = f.read(total + 2)[hlen:total]
        n[0] += 1
        subj = parts[1].decode()
        try:
            m = json.loads(body)
            sigs = "  ".join(fmt(k, v) for k, v in m["signals"].items())
            print("%s  %s  %s" % (subj, m.get("message", "?"), sigs), flush=True)
        except (ValueError, KeyError, TypeError, AttributeError):
            print("%s  (not a signals message: %d bytes)" % (subj, len(body)), flush=True)


if __name__ == "__main__":
    main()
