#!/usr/bin/python3
"""python-can socketcand client used by the rig tests and the demo.

usage: sc_client.py HOST PORT CHANNEL NRECV NSEND [SENDID]
Connects with can.Bus(interface="socketcand"), prints "ready", receives
NRECV frames (prints "recv N" at the end), then sends NSEND frames with
SENDID (hex, default 555) and a counter in the data, and prints "sent N".
"""
import sys
import time

import can

host, port, channel = sys.argv[1], int(sys.argv[2]), sys.argv[3]
nrecv, nsend = int(sys.argv[4]), int(sys.argv[5])
send_id = int(sys.argv[6], 16) if len(sys.argv) > 6 else 0x555

bus = can.Bus(interface="socketcand", host=host, port=port, channel=channel)
print("ready", flush=True)
got = 0
deadline = time.time() + 120
while got < nrecv and time.time() < deadline:
    msg = bus.recv(timeout=1.0)
    if msg is not None:
        got += 1
print("recv %d" % got, flush=True)
for i in range(nsend):
    bus.send(can.Message(arbitration_id=send_id, is_extended_id=False,
                         data=[i & 0xFF, (i >> 8) & 0xFF, 0xAA]))
    if i % 20 == 19:
        time.sleep(0.01)
time.sleep(0.5)
print("sent %d" % nsend, flush=True)
bus.shutdown()
