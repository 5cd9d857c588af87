#!/usr/bin/python3
"""python-can socketcand client for the framing tests.

usage: pycan_recv.py HOST PORT CHANNEL COUNT
Connects with can.Bus(interface="socketcand") (python-can's own reader),
prints "ready", then one line per received message:
"ID DLC DATAHEX TIMESTAMP", and "done N" after COUNT messages or 60 s
without one. python-can's log records of level WARNING and above go to
standard error, which the test expects to stay empty.
"""
import logging
import sys
import time

import can

logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                    format="%(levelname)s %(name)s: %(message)s")
logging.captureWarnings(True)

host, port, channel, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
bus = can.Bus(interface="socketcand", host=host, port=port, channel=channel)
print("ready", flush=True)
got = 0
last = time.time()
while got < count and time.time() - last < 60:
    msg = bus.recv(timeout=1.0)
    if msg is None:
        continue
    last = time.time()
    got += 1
    print("%X %d %s %.6f" % (msg.arbitration_id, msg.dlc, msg.data.hex().upper(), msg.timestamp))
print("done %d" % got, flush=True)
bus.shutdown()
