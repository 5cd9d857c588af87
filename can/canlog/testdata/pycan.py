#!/usr/bin/python3
"""Test peer: python-can's log readers and writers.

pycan.py read FILE   prints each message of FILE as a JSON line
pycan.py write FILE  writes the JSON lines of stdin as messages to FILE
"""
import json
import sys

import can


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "read":
        kw = {}
        if path.endswith(".asc"):
            kw["relative_timestamp"] = False
        for m in can.LogReader(path, **kw):
            print(json.dumps({
                "t": repr(m.timestamp), "id": m.arbitration_id, "ext": m.is_extended_id,
                "rtr": m.is_remote_frame, "err": m.is_error_frame, "fd": m.is_fd,
                "brs": m.bitrate_switch, "esi": m.error_state_indicator, "dlc": m.dlc,
                "data": bytes(m.data or b"").hex(), "ch": m.channel, "rx": m.is_rx,
            }))
        return
    with can.Logger(path) as log:
        for line in sys.stdin:
            d = json.loads(line)
            log.on_message_received(can.Message(
                timestamp=float(d["t"]), arbitration_id=d["id"], is_extended_id=d["ext"],
                is_remote_frame=d["rtr"], is_error_frame=d["err"], is_fd=d["fd"],
                bitrate_switch=d["brs"], error_state_indicator=d["esi"], dlc=d["dlc"],
                data=bytes.fromhex(d["data"]), channel=d["ch"], is_rx=d["rx"]))


main()
