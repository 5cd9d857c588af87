#!/bin/sh
# The gateway demo `make run` runs inside the rig: cangen traffic on vcan0
# crosses a UDP link to vcan1 and socketcand to a python-can client; a live
# status table refreshes while it runs, then a summary checks the counts.
set -u
N=${DEMO_FRAMES:-1500}
GAP=${DEMO_GAP_MS:-2}
ADMIN=127.0.0.1:9108
cd "$(dirname "$0")/.."

echo "== fieldgate check -c configs/demo.yaml"
fieldgate check -c configs/demo.yaml || exit 1

fieldgate run -c configs/demo.yaml >/tmp/demo-gateway.out 2>/tmp/demo-gateway.log &
GW=$!
i=0
until fieldgate status -a $ADMIN >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "gateway did not start"; cat /tmp/demo-gateway.log; exit 1; }
	sleep 0.1
done

echo "== starting a python-can socketcand client (interface=\"socketcand\")"
/usr/bin/python3 gateway/testdata/sc_client.py 127.0.0.1 29536 vcan0 "$N" 20 >/tmp/demo-python.log 2>&1 &
PY=$!
i=0
until grep -q ready /tmp/demo-python.log; do
	i=$((i + 1)); [ $i -gt 600 ] && { echo "python client did not start"; cat /tmp/demo-python.log; exit 1; }
	sleep 0.1
done
sleep 0.3

candump -n "$N" vcan1 >/tmp/demo-vcan1.txt &
DUMP=$!
candump -n 20 vcan0,555:7FF >/tmp/demo-from-python.txt &
DUMP2=$!
sleep 0.3
echo "== cangen: $N frames on vcan0, one every ${GAP} ms"
cangen vcan0 -n "$N" -g "$GAP" -I i -L 8 -D i &
GEN=$!

fieldgate status -a $ADMIN -w 2s -n 4
wait $GEN
i=0
while kill -0 $PY 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
kill -TERM $GW
wait $GW
GWRC=$?
kill $DUMP $DUMP2 2>/dev/null

V1=$(wc -l </tmp/demo-vcan1.txt)
PYR=$(sed -n 's/^recv //p' /tmp/demo-python.log)
PYS=$(wc -l </tmp/demo-from-python.txt)
echo
echo "== summary"
echo "frames generated on vcan0:                 $N"
echo "seen on vcan1 via UDP (candump):           $V1"
echo "received by the python-can client:         ${PYR:-0}"
echo "sent by the python-can client onto vcan0:  $PYS (of 20)"
echo "gateway exit status after SIGTERM:         $GWRC"
echo "gateway's own final counters (printed on SIGTERM after draining):"
sed 's/^/  /' /tmp/demo-gateway.out
if [ "$V1" -eq "$N" ] && [ "${PYR:-0}" -eq "$N" ] && [ "$PYS" -eq 20 ] && [ $GWRC -eq 0 ]; then
	echo "demo OK: every frame arrived"
	exit 0
fi
echo "demo: frames missing (see the DROPPED column above)"
exit 1
