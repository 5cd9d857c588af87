#!/usr/bin/python3
"""Test peer: python-can 4.1's udp_multicast bus.

peer.py recv GROUP PORT N     prints "ready", then N messages as JSON lines
peer.py send GROUP PORT       sends the JSON messages of stdin, then "sent"
peer.py pack                  prints pack_message's bytes (hex) of each
                              JSON message of stdin
peer.py ttl GROUP PORT       prints the TTL/hop limit of the first datagram
peer.py raw GROUP PORT HEX... sends each HEX as one datagram (not msgpack)
peer.py bench-send GROUP PORT N   sends N frames, prints CPU seconds
peer.py bench-recv GROUP PORT N   receives N frames, prints CPU seconds
"""
import json
import socket
import struct
import sys
import time

import can
from can.interfaces.udp_multicast.utils import pack_message


def msg(d):
    return can.Message(timestamp=float(d["t"]), arbitration_id=d["id"], is_extended_id=d["ext"],
                       is_remote_frame=d["rtr"], is_error_frame=d["err"], is_fd=d["fd"],
                       bitrate_switch=d["brs"], error_state_indicator=d["esi"], dlc=d["dlc"],
                       data=bytes.fromhex(d["data"]), check=True)


def out(m):
    print(json.dumps({
        "t": repr(m.timestamp), "id": m.arbitration_id, "ext": m.is_extended_id,
        "rtr": m.is_remote_frame, "err": m.is_error_frame, "fd": m.is_fd,
        "brs": m.bitrate_switch, "esi": m.error_state_indicator, "dlc": m.dlc,
        "data": bytes(m.data).hex()}), flush=True)


def main():
    mode = sys.argv[1]
    if mode == "pack":
        for line in sys.stdin:
            print(pack_message(msg(json.loads(line))).hex())
        return
    group, port = sys.argv[2], int(sys.argv[3])
    if mode == "ttl":
        # Join the group with a plain socket and print the TTL (hop
        # limit) of the first datagram.
        v6 = ":" in group
        fam = socket.AF_INET6 if v6 else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", port))
        g = socket.inet_pton(fam, group)
        if v6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, g + struct.pack("@I", 0))
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
        else:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, g + struct.pack("@I", 0))
            s.setsockopt(socket.IPPROTO_IP, 12, 1)  # IP_RECVTTL (Linux)
        print("ready", flush=True)
        s.settimeout(30)
        _, anc, _, _ = s.recvmsg(4096, 64)
        for level, typ, data in anc:
            print(struct.unpack("@i", data[:4])[0], flush=True)
        return
    if mode == "raw":
        fam = socket.AF_INET6 if ":" in group else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        for h in sys.argv[4:]:
            s.sendto(bytes.fromhex(h), (group, port))
        print("sent", flush=True)
        return
    with can.Bus(interface="udp_multicast", channel=group, port=port) as bus:
        if mode == "recv":
            n = int(sys.argv[4])
            print("ready", flush=True)
            got = 0
            while got < n:
                m = bus.recv(timeout=30)
                if m is None:
                    sys.exit("timeout after %d messages" % got)
                out(m)
                got += 1
        elif mode == "send":
            for line in sys.stdin:
                bus.send(msg(json.loads(line)))
            print("sent", flush=True)
        elif mode == "bench-send":
            n = int(sys.argv[4])
            m = can.Message(arbitration_id=0x123, is_extended_id=False, data=bytes(8))
            t0 = time.process_time()
            for i in range(n):
                m.timestamp = time.time()
                bus.send(m)
            print(time.process_time() - t0, flush=True)
        elif mode == "bench-recv":
            n = int(sys.argv[4])
            print("ready", flush=True)
            t0 = None
            for i in range(n):
                m = bus.recv(timeout=30)
                if m is None:
                    sys.exit("timeout after %d messages" % i)
                if t0 is None:
                    t0 = time.process_time()
            print(time.process_time() - t0, flush=True)


main()
