#!/usr/bin/python3
"""Hostile network peer for gateway/attack_hil_test.go.

Run by Debian's /usr/bin/python3, so that the attacker is not fieldgate's
code. Each mode prints "started", waits where noted for a line on standard
input, attacks, then prints what it sent and what a gateway following its
documented rules must make of it, one "count NAME VALUE" line each, and
"done". Counts are prefixed by the endpoint attacked (udp., tcp., sc.,
auth.); "frames" are the frames such input delivers into the gateway,
"not_allowed" those the route's allow list refuses, "unsupported" those it
admits but the bus (a `can` endpoint with fd: false) cannot carry (CAN FD
frames, ISO-TP PDUs), "written" the rest, which the bus must show. The
written frames go to the file OUT, one per line, as "%08X/%d/%s" (CAN ID
with its flag bits, length, data in hex; no data for remote requests).

The predictions come from a model written here in Python from the protocol
descriptions (cannelloni v2 datagrams and TCP stream, fieldgate's OpPDU
datagrams, socketcand's commands, configs/README.md's allow rule); they are
not computed by the gateway's code.

usage:
  attack.py udp    SEED OUT A_PORT B_PORT NCAPTURE NHOSTILE
      capture NCAPTURE datagrams A_PORT -> B_PORT on lo (AF_PACKET), then
      send NHOSTILE random and mutated datagrams to B_PORT.
  attack.py stream SEED OUT SRC TCP_PORT SC_PORT BUS NTCP NSC   (waits)
      NTCP connections to a cannelloni TCP server and NSC to a socketcand
      server, from address SRC, one after the other, plus one silent
      connection to each that the server must time out.
  attack.py idle   SRC TCP_PORT SC_PORT BUS N                  (waits)
      N silent connections from SRC to each server at once; prints
      "holding ..." once it knows which got a slot, waits until the server
      closes those, then connects once more to each.
  attack.py auth   SEED A_PORT B_PORT NCAPTURE
      capture NCAPTURE authenticated datagrams A_PORT -> B_PORT, then send
      replays and copies with a bit flipped in every field.
  attack.py client SRC SC_PORT BUS OUT N                       (waits)
      a legitimate socketcand client from SRC in raw mode: prints "ready",
      writes the frames it receives to OUT and prints "frames K" after N
      frames or 20 s without one.
"""
import hashlib
import random
import re
import socket
import sys
import time

EFF, RTR, ERR = 0x80000000, 0x40000000, 0x20000000
FD_LENS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64)
HANDSHAKE = b"CANNELLONIv1"
MAX_MESSAGE = 8400  # socketcand: longest "< ... >" content


def admits(cid):
    """The route's allow list, ["100-1FF", "7DF rtr", "18DAF110",
    "18DB0000:1FFF0000"] (attackAllow in attack_hil_test.go), by the rule
    of configs/README.md: no `error` entry, so no error frame; 29-bit
    entries never admit 11-bit frames or the reverse; remote requests only
    for 7DF; an 11-bit ID with bits above 0x7FF is no ID at all."""
    if cid & ERR:
        return False
    if cid & EFF:
        if cid & RTR:
            return False
        i = cid & 0x1FFFFFFF
        return i == 0x18DAF110 or i & 0x1FFF0000 == 0x18DB0000
    if cid & 0x3FFFF800:  # bits 11..29 of an 11-bit frame
        return False
    i = cid & 0x7FF
    if cid & RTR:
        return i == 0x7DF
    return 0x100 <= i <= 0x1FF or i == 0x7DF


class Tally:
    """Counts by name and the frames the bus must show."""

    def __init__(self):
        self.counts = {}
        self.lines = []

    def add(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n

    def frame(self, src, kind, cid, ln=0, data=b""):
        """A frame src delivers into the gateway, judged as the route onto
        the bus must judge it."""
        self.add(src + ".frames")
        if kind in ("can", "fd"):
            ok = admits(cid)
        elif kind == "isotp":  # matched by its CAN ID
            ok = not cid & (RTR | ERR) and admits(cid)
        else:  # J1939 (no pgn entry), Ethernet (not onto a CAN bus)
            ok = False
        if not ok:
            self.add(src + ".not_allowed")
        elif kind != "can":
            self.add(src + ".unsupported")
        else:
            self.add(src + ".written")
            self.lines.append("%08X/%d/%s" % (cid, ln, "" if cid & RTR else data.hex().upper()))

    def merge(self, other):
        for k, v in other.counts.items():
            self.add(k, v)
        self.lines += other.lines

    def report(self, out=None):
        if out:
            with open(out, "w") as f:
                f.write("".join(l + "\n" for l in self.lines))
        for k in sorted(self.counts):
            print("count", k, self.counts[k])
        print("done", flush=True)


def be32(v):
    return (v & 0xFFFFFFFF).to_bytes(4, "big")


def be16(v):
    return (v & 0xFFFF).to_bytes(2, "big")


SHORT, BAD = "short", "bad"


def decode_frame(b, i):
    """The cannelloni frame at b[i:]: ((kind, cid, len, data), next), or
    SHORT (more bytes needed) or BAD (an invalid length)."""
    if len(b) - i < 5:
        return SHORT
    cid = int.from_bytes(b[i:i + 4], "big")
    l = b[i + 4]
    fd, ln, n = l & 0x80, l & 0x7F, 5
    if fd:
        if len(b) - i < 6:
            return SHORT
        n = 6
        if ln not in FD_LENS:
            return BAD
    elif ln > 8:
        return BAD
    dl = 0 if (not fd and cid & RTR) else ln
    if len(b) - i < n + dl:
        return SHORT
    return ("fd" if fd else "can", cid, ln, bytes(b[i + n:i + n + dl])), i + n + dl


def judge_datagram(t, d):
    """A datagram to a udp endpoint without auth."""
    t.add("udp.datagrams")
    if len(d) >= 2 and d[0] == 2 and d[1] == 0x10:  # OpPDU
        if len(d) < 14 or d[3:5] != b"\0\1":
            t.add("udp.malformed")
            return
        kind, cid, n = d[5], int.from_bytes(d[8:12], "big"), int.from_bytes(d[12:14], "big")
        if n > 4096 or len(d) != 14 + n or kind not in (3, 4, 5):
            t.add("udp.malformed")
            return
        t.frame("udp", {3: "isotp", 4: "j1939", 5: "ethernet"}[kind], cid)
        return
    if len(d) < 5 or d[0] != 2 or d[1] != 0:
        t.add("udp.malformed")
        return
    count, i = int.from_bytes(d[3:5], "big"), 5
    while count:  # bytes after `count` frames are ignored
        r = decode_frame(d, i)
        if r in (SHORT, BAD):  # the frames before are delivered
            t.add("udp.malformed")
            return
        f, i = r
        t.frame("udp", *f)
        count -= 1


def judge_tcp(t, s):
    """A whole connection's bytes to a cannelloni TCP server, ended by the
    client (FIN)."""
    if s[:12] != HANDSHAKE:  # wrong, or EOF before 12 bytes
        t.add("tcp.handshake_failed")
        t.add("tcp.malformed")
        return
    t.add("tcp.connects")
    i = 12
    while True:
        r = decode_frame(s, i)
        if r == BAD:  # disconnected
            t.add("tcp.malformed")
            return
        if r == SHORT:
            if i < len(s):  # a truncated last frame
                t.add("tcp.malformed")
            return
        f, i = r
        t.frame("tcp", *f)


HEX = re.compile(rb"[0-9A-Fa-f]+\Z")
DEC = re.compile(rb"[0-9]+\Z")
WS = re.compile(rb"[ \t\r\n]+")


def p_hex(b, maxv):
    if not HEX.match(b):
        return None
    v = int(b, 16)
    return v if v <= maxv else None


def p_dec(b, maxv):
    if not DEC.match(b):
        return None
    v = int(b, 10)
    return v if v <= maxv else None


def p_id(b):
    """socketcand CAN ID: up to 3 hex digits and at most 7FF is an 11-bit
    ID, anything else (up to 8 digits) a 29-bit one."""
    if not 1 <= len(b) <= 8:
        return None
    v = p_hex(b, 0xFFFFFFFF)
    if v is None:
        return None
    if len(b) > 3 or v > 0x7FF:
        return EFF | v & 0x1FFFFFFF
    return v


def p_bytes(args):
    out = bytearray()
    for a in args:
        v = p_hex(a, 0xFF) if 1 <= len(a) <= 2 else None
        if v is None:
            return None
        out.append(v)
    return bytes(out)


def p_send(args):  # send ID DLC(hex) B0 ...
    if len(args) < 2:
        return None
    cid, dlc = p_id(args[0]), p_hex(args[1], 0xFF)
    if cid is None or dlc is None or dlc > 8 or len(args) - 2 != dlc:
        return None
    data = p_bytes(args[2:])
    return None if data is None else (cid, dlc, data)


def p_sendrtr(args):  # sendrtr ID DLC(decimal)
    if len(args) != 2:
        return None
    cid, dlc = p_id(args[0]), p_dec(args[1], 0xFF)
    if cid is None or dlc is None or dlc > 8:
        return None
    return cid, dlc


def p_fdsend(args):  # fdsend ID FLAGS(hex, BRS|ESI) LEN(decimal) B0 ...
    if len(args) < 3:
        return None
    cid, fl, ln = p_id(args[0]), p_hex(args[1], 0xFF), p_dec(args[2], 0xFF)
    if cid is None or fl is None or fl & ~3 or ln is None or ln not in FD_LENS or len(args) - 3 != ln:
        return None
    data = p_bytes(args[3:])
    return None if data is None else (cid, ln, data)


class Forbidden(Exception):
    """Generated input whose outcome depends on time (a cyclic BCM job)
    or on kernel sockets: the generator draws again."""


# Verbs the generator must not produce by accident (mutations): their
# effects are not frames a model can predict (cyclic jobs, kernel sockets,
# statistics).
FORBIDDEN = {b"add", b"update", b"delete", b"filter", b"muxfilter", b"subscribe", b"unsubscribe",
             b"statistics", b"isotpconf", b"sendpdu", b"isotpmode"}


def judge_sc(t, s, bus):
    """A whole connection's bytes to a socketcand server, ended by the
    client (FIN). Bytes outside "<" ... ">" are ignored; a message longer
    than 8400 bytes is malformed and ends the connection; until "< open
    BUS >" only echo is answered; the client starts in BCM mode."""
    t.add("sc.connects")
    i, opened, mode = 0, False, None
    while True:
        start = s.find(b"<", i)
        if start < 0:
            break
        end = s.find(b">", start)
        if end < 0:
            if len(s) - start - 1 > MAX_MESSAGE:
                t.add("sc.malformed")
                return
            break
        msg, i = s[start + 1:end], end + 1
        if len(msg) > MAX_MESSAGE:
            t.add("sc.malformed")
            return
        tok = [x for x in WS.split(msg) if x]
        if not tok:
            continue
        verb, args = tok[0], tok[1:]
        if verb in FORBIDDEN:
            raise Forbidden(verb)
        if not opened:
            if verb != b"open":
                continue
            if len(args) != 1 or args[0] != bus:
                t.add("sc.handshake_failed")
                return
            opened, mode = True, "bcm"
            continue
        if verb == b"send" and mode in ("raw", "bcm"):
            p = p_send(args)
            if p is None:
                t.add("sc.malformed")
            else:
                t.frame("sc", "can", p[0], p[1], p[2])
        elif verb in (b"rawmode", b"bcmmode", b"controlmode"):
            mode = verb[:-4].decode()
        elif verb == b"sendrtr" and mode == "bcm":
            p = p_sendrtr(args)
            if p is None:
                t.add("sc.malformed")
            else:
                t.frame("sc", "can", p[0] | RTR, p[1])
        elif verb == b"fdsend" and mode == "raw":
            p = p_fdsend(args)
            if p is None:
                t.add("sc.malformed")
            else:
                t.frame("sc", "fd", p[0], p[1], p[2])
        # Anything else gets an error reply (or none) and counts nothing.
    if not opened:  # EOF before the bus was opened
        t.add("sc.handshake_failed")


# Generators.

def hostile_frame(r):
    """A CAN or CAN FD frame probing the allow list: admitted IDs, IDs
    outside it, 29-bit IDs with admitted low bits, remote requests, error
    frames, 11-bit IDs with stray high bits, and random IDs."""
    pool = [0x123, 0x100, 0x1FF, 0x7DF, RTR | 0x7DF, EFF | 0x18DAF110, EFF | 0x18DB0000 | r.randrange(0x10000),
            0x200, 0x0FF, 0x7DE, 0x7FF, 0x000, RTR | 0x123, RTR | 0x1FF, EFF | 0x123, EFF | 0x7DF, EFF | 0x100,
            EFF | 0x18DAF111, EFF | 0x08DAF110, EFF | RTR | 0x18DAF110, EFF | RTR | 0x18DB0001, EFF | RTR | 0x7DF,
            ERR | 0x004, ERR | 0x7DF, ERR | 0x123, ERR | EFF | 0x123, ERR | RTR | 0x7DF,
            0x923, 0x10000123, 0x00100123, RTR | 0x97DF]
    cid = r.choice(pool) if r.random() < 0.85 else r.getrandbits(32)
    if r.random() < 0.15:
        ln = r.choice(FD_LENS)
        return "fd", cid, ln, r.randbytes(ln), r.randrange(4)
    ln = r.randrange(9)
    return "can", cid, ln, b"" if cid & RTR else r.randbytes(ln), 0


def enc(f):
    kind, cid, ln, data, flags = f
    if kind == "fd":
        return be32(cid) + bytes([ln | 0x80, flags]) + data
    return be32(cid) + bytes([ln]) + (b"" if cid & RTR else data)


def header(seq, count, op=0, ver=2):
    return bytes([ver, op, seq & 0xFF]) + be16(count)


def pick(r, n):
    """A number below n (0 if n is 0) from exactly one draw of r, whatever
    n is: a position in captured bytes, whose length depends on how the
    link batched its frames, must not change the draws that follow (so
    that a seed repeats the same attack as far as the capture allows)."""
    return int(r.random() * n)


def flip(r, b, nbits):
    b = bytearray(b)
    for _ in range(nbits):
        i = pick(r, len(b) * 8)
        if b:
            b[i // 8] ^= 1 << (i % 8)
    return bytes(b)


def mutate(r, b):
    """Bit flips, truncation, inserted or deleted bytes, a duplicated
    slice."""
    k = r.randrange(5)
    if not b or k == 0:
        return flip(r, b, r.randint(1, 4))
    i = pick(r, len(b))
    if k == 1:
        return b[:i]
    if k == 2:
        return b[:i] + r.randbytes(r.randint(1, 16)) + b[i:]
    if k == 3:
        return b[:i] + b[i + r.randint(1, 16):]
    j = min(len(b), i + r.randint(1, 32))
    return b[:j] + b[i:j] + b[j:]


def pdu_datagram(r):
    """An OpPDU datagram: ISO-TP, J1939 and Ethernet PDUs and unknown
    kinds, with right and wrong lengths and counts."""
    kind = r.choice([3, 3, 4, 5, 0, 1, 2, 6, 0xFF])
    cid = r.choice([0x123, 0x7DF, 0x200, EFF | 0x18DAF110, EFF | 0x123, RTR | 0x123, 0xFECA, r.getrandbits(32)])
    data = r.randbytes(r.choice([0, 1, 7, 8, 64, 300, 4096, 4097]))
    n = len(data)
    if r.random() < 0.25:
        n = r.choice([n + 1, max(n - 1, 0), 4097, 65535])
    count = 1 if r.random() < 0.85 else r.choice([0, 2])
    return (bytes([2, 0x10, r.randrange(256)]) + be16(count) + bytes([kind, r.randrange(256), r.randrange(256)])
            + be32(cid) + be16(n) + data)


def udp_hostile(r, caps):
    c = r.choice(caps)
    k = r.randrange(12)
    if k == 0:
        return "random", r.randbytes(r.randrange(200))
    if k == 1:
        return "random-header", (header(r.randrange(256), r.randrange(65536), r.choice([0, 0, 1, 2, 0x10, 0xFF]),
                                        r.choice([2, 2, 1, 3])) + r.randbytes(r.randrange(120)))
    if k == 2:
        return "bitflip", flip(r, c, r.randint(1, 4))
    if k == 3:
        return "truncated", c[:pick(r, len(c))]
    if k == 4:
        return "extended", c + r.randbytes(r.randint(1, 40))
    if k == 5:
        return "duplicate", c
    if k == 6:
        return "count", c[:3] + be16(r.randrange(65536)) + c[5:]
    if k == 7:
        c2 = r.choice(caps)
        n = int.from_bytes(c[3:5], "big") + int.from_bytes(c2[3:5], "big")
        return "spliced", header(c[2], n) + c[5:] + c2[5:]
    if k in (8, 9):
        frames = [hostile_frame(r) for _ in range(r.randint(1, 10))]
        d = header(r.randrange(256), len(frames)) + b"".join(enc(f) for f in frames)
        return ("crafted", d) if k == 8 else ("crafted-mutated", mutate(r, d))
    if k == 10:
        return "pdu", pdu_datagram(r)
    return "captured-mutated", mutate(r, c)


def tcp_connection(r):
    frames = b"".join(enc(hostile_frame(r)) for _ in range(r.randint(1, 30)))
    k = r.randrange(10)
    if k <= 2:
        return "clean", HANDSHAKE + frames
    if k <= 5:
        return "mutated", HANDSHAKE + mutate(r, frames)
    if k == 6:
        return "random", HANDSHAKE + r.randbytes(r.randint(1, 200))
    if k == 7:
        return "bad-handshake", r.choice([b"CANNELLONIv2", b"cannelloniv1", r.randbytes(12), b"GET / HTTP/1.0\r\n\r\n"]) + frames
    if k == 8:
        return "short-handshake", HANDSHAKE[:r.randrange(12)]
    return "mutated-handshake", mutate(r, HANDSHAKE + frames)


def sc_id(r, cid):
    """The socketcand text of cid's ID (the flag bits cannot be written;
    an 11-bit ID sometimes as 8 digits, which makes it a 29-bit one)."""
    if cid & EFF or cid & 0x1FFFF800 or r.random() < 0.1:
        s = "%08X" % (cid & 0x1FFFFFFF)
    else:
        s = r.choice(["%03X", "%X"]) % (cid & 0x7FF)
    return (s.lower() if r.random() < 0.2 else s).encode()


def sc_command(r):
    kind, cid, ln, data, flags = hostile_frame(r)
    idt = sc_id(r, cid)
    hx = b" ".join((b"%X" if r.random() < 0.1 else b"%02X") % x for x in data)
    if kind == "fd":
        return b"< fdsend %s %X %d %s >" % (idt, flags, ln, hx)
    if cid & RTR:
        return b"< sendrtr %s %d >" % (idt, ln)
    if r.random() < 0.3:  # broken on purpose
        bad = [b"< send %s %X >" % (idt, ln + 1), b"< send %s 9 %s >" % (idt, hx), b"< send 0x%s %X %s >" % (idt, ln, hx),
               b"< send %s %X %s 00 >" % (idt, ln, hx), b"< send 123456789 0 >", b"< send 12G 1 00 >", b"< send 123 1 100 >",
               b"< send 123 1 +1 >", b"< send >", b"< send 123 >", b"< sendrtr 7DF 9 >", b"< fdsend 123 4 1 00 >",
               b"< fdsend 123 0 9 00 00 00 00 00 00 00 00 00 >", b"< send 1_23 0 >"]
        return r.choice(bad)
    return b"< send %s %X %s >" % (idt, ln, hx)


def sc_session(r, bus):
    parts = [b"< open " + bus + b" >"]
    for _ in range(r.randint(3, 25)):
        x = r.random()
        if x < 0.12:
            parts.append(r.choice([b"< rawmode >", b"< bcmmode >", b"< controlmode >", b"< echo >", b"< bogus 1 2 >", b"<>"]))
        elif x < 0.18:
            parts.append(r.randbytes(r.randint(1, 20)).replace(b"<", b"(").replace(b">", b")"))
        else:
            parts.append(sc_command(r))
    return b"".join(p + r.choice([b"", b" ", b"\n", b"xx"]) for p in parts)


def sc_connection(r, bus):
    k = r.randrange(10)
    if k <= 3:
        return "session", sc_session(r, bus)
    if k <= 5:
        return "mutated", mutate(r, sc_session(r, bus))
    if k == 6:
        return "wrong-bus", b"< open can7 >" + sc_session(r, bus)
    if k == 7:
        return "no-open", b"".join(sc_command(r) for _ in range(r.randint(1, 5))) + r.randbytes(r.randint(0, 50))
    if k == 8:
        tail = b"< send 123 1 " + b" " * r.randint(8450, 9000) + r.choice([b">", b""])
        return "too-long", sc_session(r, bus) + tail
    return "random", r.randbytes(r.randint(1, 300))


def sc_boundary(bus):
    """A message of exactly 8400 bytes between "<" and ">" (the longest
    allowed) whose ">" is byte 16384 of the stream, so that a server
    reading 16 KiB at a time sees all of it but the ">" first."""
    head = b"< open " + bus + b" >"
    msg = b"send 123 1 AB"
    msg += b" " * (MAX_MESSAGE - len(msg))
    pad = 16384 - len(head) - 1 - MAX_MESSAGE
    return head + b"x" * pad + b"<" + msg + b">"


# Network helpers.

def connect(src, port, timeout=15):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def run_connection(src, port, data):
    """Send data, end it (FIN), read until the server closes."""
    s = connect(src, port)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the server hung up first: it stopped reading at an error
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    s.close()


def wait_closed(s):
    """Read until the server closes s; return when that was."""
    s.settimeout(30)
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    s.close()
    return time.time()


def capture(sport, dport, n, seconds):
    """The first n UDP payloads sport -> dport on lo."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(3))  # ETH_P_ALL
    s.bind(("lo", 3))
    print("started", flush=True)
    got, deadline = [], time.time() + seconds
    while len(got) < n and time.time() < deadline:
        s.settimeout(max(deadline - time.time(), 0.01))
        try:
            pkt, addr = s.recvfrom(65536)
        except socket.timeout:
            break
        # lo shows each packet going out and coming in: take one.
        if addr[1] != 0x0800 or addr[2] != socket.PACKET_HOST or pkt[0] >> 4 != 4 or pkt[9] != 17:
            continue
        u = pkt[(pkt[0] & 0x0F) * 4:]
        if int.from_bytes(u[0:2], "big") == sport and int.from_bytes(u[2:4], "big") == dport:
            got.append(bytes(u[8:]))
    s.close()
    if len(got) < n:
        sys.exit("captured only %d of %d datagrams %d -> %d" % (len(got), n, sport, dport))
    return got


class Spray:
    """Sends datagrams to port on loopback, paced (about 1000 datagrams
    and 1 MB a second at most) so that the gateway's receive buffer does
    not overflow on the rig's one emulated CPU: a datagram the kernel drops
    is counted (kernel_overflow) but its frames are unknown, and the counts
    could no longer be compared. The digest of everything sent tells
    whether a run with the same seed sent the same bytes."""

    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port, self.h, self.n, self.bytes = port, hashlib.sha256(), 0, 0

    def send(self, d):
        self.s.sendto(d, ("127.0.0.1", self.port))
        self.h.update(len(d).to_bytes(4, "big") + d)
        self.n += 1
        self.bytes += len(d)
        time.sleep(0.001 + len(d) / 1e6)

    def digest(self):
        return "sent %d datagrams, %d bytes, sha256 %s" % (self.n, self.bytes, self.h.hexdigest()[:16])


def digest(datagrams):
    h = hashlib.sha256()
    for d in datagrams:
        h.update(len(d).to_bytes(4, "big") + d)
    return h.hexdigest()[:16]


# Modes.

def mode_udp(seed, out, a_port, b_port, ncap, nhostile):
    r = random.Random(seed)
    t = Tally()
    caps = capture(a_port, b_port, ncap, 30)
    print("captured %d datagrams, sha256 %s" % (len(caps), digest(caps)), flush=True)
    s = Spray(b_port)

    def send(name, d):
        judge_datagram(t, d)
        t.add("udp.cat." + name)
        s.send(d)

    for _ in range(nhostile - 10):
        send(*udp_hostile(r, caps))
    run = r.sample(caps, 10)  # captured datagrams again, out of order
    r.shuffle(run)
    for d in run:
        send("reordered", d)
    print(s.digest(), flush=True)
    t.report(out)


def mode_stream(seed, out, src, tcp_port, sc_port, bus, ntcp, nsc):
    r = random.Random(seed)
    t = Tally()
    print("started", flush=True)
    sys.stdin.readline()
    # One silent connection to each server, held until it gives up.
    silent = [connect(src, tcp_port), connect(src, sc_port)]
    t.add("tcp.handshake_timeout")
    t.add("tcp.malformed")
    t.add("sc.connects")
    t.add("sc.handshake_timeout")
    opened = time.time()
    h = hashlib.sha256()
    for _ in range(ntcp):
        name, data = tcp_connection(r)
        t.add("tcp.cat." + name)
        judge_tcp(t, data)
        h.update(len(data).to_bytes(4, "big") + data)
        run_connection(src, tcp_port, data)
    for i in range(nsc):
        for _ in range(100):
            name, data = ("boundary", sc_boundary(bus)) if i == 0 else sc_connection(r, bus)
            u = Tally()
            try:
                judge_sc(u, data, bus)
                break
            except Forbidden:
                continue
        else:
            sys.exit("no connection without forbidden verbs in 100 draws")
        u.add("sc.cat." + name)
        t.merge(u)
        h.update(len(data).to_bytes(4, "big") + data)
        run_connection(src, sc_port, data)
    print("sent %d connections, sha256 %s" % (ntcp + nsc, h.hexdigest()[:16]), flush=True)
    held = [wait_closed(s) - opened for s in silent]
    print("silent connections closed after %.2f s (tcp), %.2f s (socketcand)" % tuple(held), flush=True)
    t.report(out)


def mode_idle(src, tcp_port, sc_port, bus, n):
    t = Tally()
    print("started", flush=True)
    sys.stdin.readline()
    conns = [(name, connect(src, port)) for name, port in (("tcp", tcp_port), ("sc", sc_port)) for _ in range(n)]
    opened = time.time()
    held = []
    for name, s in conns:
        # A connection with a slot gets the server's greeting at once
        # ("CANNELLONIv1", "< hi >"); a refused one is closed.
        s.settimeout(10)
        try:
            greeting = s.recv(64)
        except ConnectionResetError:
            greeting = b""
        if greeting:
            t.add(name + ".held")
            held.append((name, s))
        else:
            t.add(name + ".refused")
            s.close()
    c = t.counts
    print("holding tcp %d sc %d refused tcp %d sc %d" % (c.get("tcp.held", 0), c.get("sc.held", 0),
                                                         c.get("tcp.refused", 0), c.get("sc.refused", 0)), flush=True)
    for name, s in held:
        ms = int((wait_closed(s) - opened) * 1000)
        t.add(name + ".timed_out")
        c[name + ".held_ms_min"] = min(c.get(name + ".held_ms_min", ms), ms)
        c[name + ".held_ms_max"] = max(c.get(name + ".held_ms_max", 0), ms)
    # The lockout is over: one more connection each, done properly.
    for name, port, data in (("tcp", tcp_port, HANDSHAKE), ("sc", sc_port, b"< open " + bus + b" >")):
        s = connect(src, port)
        if s.recv(64):
            t.add(name + ".after")
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        wait_closed(s)
    t.report()


def mode_auth(seed, a_port, b_port, ncap):
    r = random.Random(seed)
    t = Tally()
    caps = capture(a_port, b_port, ncap, 30)
    print("captured %d datagrams, sha256 %s" % (len(caps), digest(caps)), flush=True)
    s = Spray(b_port)

    def send(name, d):
        t.add("auth.hostile")
        t.add("auth.cat." + name)
        s.send(d)

    # "FGA1" | session u64 | counter u64 | ciphertext | 16-byte tag
    for c in caps:
        send("replay", c)
        fields = {"magic": (0, 4), "session": (4, 12), "counter": (12, 20), "ciphertext": (20, len(c) - 16),
                  "tag": (len(c) - 16, len(c))}
        for name, (lo, hi) in fields.items():
            b = bytearray(c)
            i = lo * 8 + pick(r, (hi - lo) * 8)
            b[i // 8] ^= 1 << (i % 8)
            send("flip-" + name, bytes(b))
    for _ in range(len(caps)):
        c, c2 = r.choice(caps), r.choice(caps)
        send("replay-again", c)
        send("truncated", c[:pick(r, len(c))])
        send("extended", c + r.randbytes(r.randint(1, 16)))
        send("header-swapped", c[:20] + c2[20:] if c2 != c else flip(r, c, 1))
        send("random", r.randbytes(r.randrange(100)))
        send("random-fga1", b"FGA1" + r.randbytes(r.randrange(60)))
    print(s.digest(), flush=True)
    t.report()


def mode_client(src, port, bus, out, n):
    print("started", flush=True)
    sys.stdin.readline()
    s = connect(src, port, 30)
    buf = b""

    def msg():
        nonlocal buf
        while b">" not in buf:
            b = s.recv(65536)
            if not b:
                sys.exit("closed by the server")
            buf += b
        m, _, buf = buf.partition(b">")
        return m[m.find(b"<"):] + b">"

    for send, want in ((None, b"< hi >"), (b"< open " + bus + b" >", b"< ok >"), (b"< rawmode >", b"< ok >")):
        if send:
            s.sendall(send)
        got = msg()
        if got != want:
            sys.exit("got %r, want %r" % (got, want))
    print("ready", flush=True)
    lines = []
    s.settimeout(20)
    try:
        while len(lines) < n:
            f = msg().split()  # < frame ID SEC.USEC [DATA] >
            if f[1] != b"frame":
                sys.exit("unexpected message %r" % b" ".join(f))
            cid = int(f[2], 16) | (EFF if len(f[2]) == 8 else 0)
            data = bytes.fromhex(f[4].decode()) if len(f) == 6 else b""
            lines.append("%08X/%d/%s" % (cid, len(data), data.hex().upper()))
    except socket.timeout:
        pass
    with open(out, "w") as fo:
        fo.write("".join(l + "\n" for l in lines))
    print("frames", len(lines), flush=True)


def main():
    a = sys.argv[1:]
    if a[0] == "udp":
        mode_udp(int(a[1]), a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]))
    elif a[0] == "stream":
        mode_stream(int(a[1]), a[2], a[3], int(a[4]), int(a[5]), a[6].encode(), int(a[7]), int(a[8]))
    elif a[0] == "idle":
        mode_idle(a[1], int(a[2]), int(a[3]), a[4].encode(), int(a[5]))
    elif a[0] == "auth":
        mode_auth(int(a[1]), int(a[2]), int(a[3]), int(a[4]))
    elif a[0] == "client":
        mode_client(a[1], int(a[2]), a[3].encode(), a[4], int(a[5]))
    else:
        sys.exit("unknown mode " + a[0])


if __name__ == "__main__":
    main()
