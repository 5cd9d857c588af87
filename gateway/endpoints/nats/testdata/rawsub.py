#!/usr/bin/env python3
"""A NATS subscriber that speaks the wire protocol itself (no client
library): CONNECT, SUB, PING; then prints each HMSG/MSG as
"subject<TAB>header-block-hex<TAB>payload-hex" until it has N messages.
Usage: rawsub.py PORT SUBJECT N"""
import socket
import sys

port, subject, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), timeout=20)
f = s.makefile("rb")
info = f.readline()
assert info.startswith(b"INFO "), info
s.sendall(b'CONNECT {"verbose":false,"pedantic":true,"headers":true,"protocol":1,"name":"rawsub.py"}\r\n')
s.sendall(b"SUB " + subject.encode() + b" 1\r\nPING\r\n")
line = f.readline()
assert line == b"PONG\r\n", line
print("READY", flush=True)
got = 0
while got < count:
    line = f.readline()
    if not line:
        sys.exit("connection closed")
    if line == b"PING\r\n":
        s.sendall(b"PONG\r\n")
        continue
    if line.startswith(b"INFO ") or line == b"PONG\r\n":  # async INFO updates
        continue
    parts = line.split()
    if parts[0] == b"HMSG":  # HMSG subject sid [reply] hdr_len total_len
        hlen, total = int(parts[-2]), int(parts[-1])
        body = f.read(total + 2)
        hdr, payload = body[:hlen], body[hlen:total]
    elif parts[0] == b"MSG":
        total = int(parts[-1])
        body = f.read(total + 2)
        hdr, payload = b"", body[:total]
    else:
        sys.exit("unexpected: %r" % line)
    print("%s\t%s\t%s" % (parts[1].decode(), hdr.hex(), payload.hex()), flush=True)
    got += 1
