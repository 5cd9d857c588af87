#!/usr/bin/python3
"""The python-can bridge users write today: receive on SRC, send on DST.

usage: bridge.py SRC DST
"""
import sys

import can

src = can.Bus(interface="socketcan", channel=sys.argv[1])
dst = can.Bus(interface="socketcan", channel=sys.argv[2])
print("ready", flush=True)
while True:
    msg = src.recv()
    if msg is not None:
        dst.send(msg)
