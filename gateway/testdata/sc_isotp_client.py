#!/usr/bin/python3
"""socketcand ISO-TP mode client on the plain socket module (rig tests).

usage: sc_isotp_client.py HOST PORT BUS TXID RXID PDUHEX
Connects, opens BUS, enters isotpmode, tries a refused channel (tx id 7E1,
prints "refused <reply>"), configures TXID/RXID, prints "ready", sends
PDUHEX with sendpdu, prints "sent", then waits for one "< pdu ... >" and
prints "pdu SEC.USEC HEX". Every reply is checked exactly; anything else
is printed as "unexpected <message>" and the script exits 1.
"""
import socket
import sys

host, port, bus, txid, rxid, pdu = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
s = socket.create_connection((host, port), timeout=120)
buf = b""


def msg():
    """Returns the next "< ... >" message."""
    global buf
    while True:
        start = buf.find(b"<")
        if start >= 0:
            end = buf.find(b">", start)
            if end >= 0:
                m = buf[start:end + 1].decode()
                buf = buf[end + 1:]
                return m
        chunk = s.recv(65536)
        if not chunk:
            print("unexpected EOF", flush=True)
            sys.exit(1)
        buf += chunk


def expect(want):
    got = msg()
    if got != want:
        print("unexpected %s (want %s)" % (got, want), flush=True)
        sys.exit(1)


def say(m):
    s.sendall(m.encode())


expect("< hi >")
say("< open %s >" % bus)
expect("< ok >")
say("< isotpmode >")
expect("< ok >")
say("< isotpconf 7E1 7E9 0 0 0 >")
print("refused %s" % msg(), flush=True)
# Success has no reply (as in socketcand): an echo round trip proves it.
say("< isotpconf %s %s 0 0 0 >< echo >" % (txid, rxid))
expect("< echo >")
print("ready", flush=True)
say("< sendpdu %s >< echo >" % pdu)
expect("< echo >")
print("sent", flush=True)
m = msg()
f = m.split()
if len(f) != 5 or f[1] != "pdu":
    print("unexpected %s" % m, flush=True)
    sys.exit(1)
print("pdu %s %s" % (f[2], f[3]), flush=True)
