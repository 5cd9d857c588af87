#!/bin/sh
# The gateway demo `make run` runs inside the rig: cangen traffic on vcan0
# crosses a UDP link to vcan1, socketcand to a python-can client, and NATS
# (server embedded in gateway A) to a second gateway process B that writes
# it onto vcan1 too; frames configs/demo.dbc describes are published as
# decoded signals, which configs/nats-signals-sub.py prints. A live status
# table refreshes while it runs, then a summary checks counts and bytes.
set -u
N=${DEMO_FRAMES:-1500}
GAP=${DEMO_GAP_MS:-2}
ADMIN=127.0.0.1:9108
ADMIN_B=127.0.0.1:9109
cd "$(dirname "$0")/.."

echo "== fieldgate check -c configs/demo.yaml, configs/demo-fleet.yaml"
fieldgate check -c configs/demo.yaml || exit 1
fieldgate check -c configs/demo-fleet.yaml || exit 1

# waitfor TRIES CMD...: run CMD every 0.1 s until it succeeds.
waitfor() {
	n=$1; shift
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -gt "$n" ] && return 1
		sleep 0.1
	done
}
# epstatus ADMIN ENDPOINT: the endpoint's object of /status on one line
# (without its nested objects).
epstatus() {
	fieldgate status -a "$1" -json | sed 's/"[a-z_]*":{[^{}]*}//g' | tr '{' '\n' | grep "^\"name\":\"$2\","
}
# connected ADMIN ENDPOINT: the endpoint's NATS client is connected.
connected() { epstatus "$1" "$2" | grep -q '"peers":1,'; }
# counter ADMIN ENDPOINT FIELD: one counter of the endpoint.
counter() { epstatus "$1" "$2" | sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p"; }

fieldgate run -c configs/demo.yaml >/tmp/demo-gateway.out 2>/tmp/demo-gateway.log &
GW=$!
waitfor 100 fieldgate status -a $ADMIN || { echo "gateway A did not start"; cat /tmp/demo-gateway.log; exit 1; }
waitfor 300 connected $ADMIN signals || { echo "gateway A's NATS endpoints did not connect"; cat /tmp/demo-gateway.log; exit 1; }

echo "== starting gateway B (configs/demo-fleet.yaml): NATS → vcan1, a process of its own"
fieldgate run -c configs/demo-fleet.yaml >/tmp/demo-gateway-b.out 2>/tmp/demo-gateway-b.log &
GWB=$!
waitfor 300 connected $ADMIN_B fleet || { echo "gateway B did not connect"; cat /tmp/demo-gateway-b.log; exit 1; }
# B's subscription is in place once a round trip was measured after it.
waitfor 300 sh -c "fieldgate status -a $ADMIN_B -json | grep -q '\"rtt_ns\":[1-9]'" || { echo "gateway B did not subscribe"; exit 1; }

echo "== starting a python-can socketcand client (interface=\"socketcand\") and a NATS signals subscriber"
/usr/bin/python3 gateway/testdata/sc_client.py 127.0.0.1 29536 vcan0 "$N" 20 >/tmp/demo-python.log 2>&1 &
PY=$!
/usr/bin/python3 configs/nats-signals-sub.py 127.0.0.1:4222 'signals.demo.>' >/tmp/demo-signals.log 2>&1 &
SUB=$!
waitfor 600 grep -q ready /tmp/demo-python.log || { echo "python client did not start"; cat /tmp/demo-python.log; exit 1; }
waitfor 600 grep -q ready /tmp/demo-signals.log || { echo "signals subscriber did not start"; cat /tmp/demo-signals.log; exit 1; }
sleep 0.3

candump -L -n "$N" vcan0 >/tmp/demo-vcan0.txt &
DUMP0=$!
candump -L -n $((2 * N)) vcan1 >/tmp/demo-vcan1.txt &
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
i=0
while kill -0 $DUMP 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
kill $DUMP0 $DUMP $DUMP2 2>/dev/null
echo
echo "== gateway B"
fieldgate status -a $ADMIN_B -s 0
BIN=$(counter $ADMIN_B fleet frames_in)
BBYTES=$(counter $ADMIN_B fleet bytes_in)
BOUT=$(counter $ADMIN_B remote frames_out)
BGAPS=$(counter $ADMIN_B fleet seq_gaps)

echo
echo "== signals: Engine and Vehicle messages (configs/demo.dbc) on vcan0, decoded by gateway A"
for d in 4A0D5A0332000000 200E5B0334000000 F80F5C033C000000; do cansend vcan0 123#$d; sleep 0.2; done
for d in 1027A08601000000 A429A18601000000; do cansend vcan0 321#$d; sleep 0.2; done
sleep 1
SIGPUB=$(counter $ADMIN signals frames_out)
i=0
while [ "$(grep -c '^signals\.' /tmp/demo-signals.log)" -lt "${SIGPUB:-0}" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $SUB 2>/dev/null
wait $SUB
sed 's/^/  /' /tmp/demo-signals.log
SIGRX=$(sed -n 's/^received //p' /tmp/demo-signals.log)

kill -TERM $GWB
wait $GWB
GWBRC=$?
kill -TERM $GW
wait $GW
GWRC=$?

# The frames on vcan1 (candump -L: "(time) vcan1 ID#DATA") must be those of
# vcan0, each exactly twice: once over UDP, once over NATS through gateway B.
cut -d' ' -f3 /tmp/demo-vcan0.txt | sort >/tmp/demo-want.txt
cut -d' ' -f3 /tmp/demo-vcan0.txt | sed p | sort >/tmp/demo-want2.txt
cut -d' ' -f3 /tmp/demo-vcan1.txt | sort >/tmp/demo-got.txt
V0=$(wc -l </tmp/demo-vcan0.txt)
V1=$(wc -l </tmp/demo-vcan1.txt)
SAME=no
cmp -s /tmp/demo-want2.txt /tmp/demo-got.txt && SAME=yes
WANTBYTES=$((8 * N))
PYR=$(sed -n 's/^recv //p' /tmp/demo-python.log)
PYS=$(wc -l </tmp/demo-from-python.txt)
echo
echo "== summary"
echo "frames generated on vcan0 (candump):       $V0 (of $N)"
echo "seen on vcan1 (candump):                   $V1 (want $((2 * N)): each frame once via UDP, once via NATS)"
echo "vcan1 holds vcan0's frames twice, bytes equal: $SAME"
echo "gateway B: from NATS $BIN frames, $BBYTES bytes (want $N, $WANTBYTES), onto vcan1 $BOUT, seq gaps $BGAPS"
echo "received by the python-can client:         ${PYR:-0}"
echo "sent by the python-can client onto vcan0:  $PYS (of 20)"
echo "signals messages published / printed:      ${SIGPUB:-0} / ${SIGRX:-0}"
echo "gateway exit status after SIGTERM:         A $GWRC, B $GWBRC"
echo "gateway A's own final counters (printed on SIGTERM after draining):"
sed 's/^/  /' /tmp/demo-gateway.out
if [ "$V0" -eq "$N" ] && [ "$V1" -eq $((2 * N)) ] && [ $SAME = yes ] &&
	[ "${BIN:-0}" -eq "$N" ] && [ "${BBYTES:-0}" -eq $WANTBYTES ] && [ "${BOUT:-0}" -eq "$N" ] && [ "${BGAPS:-1}" -eq 0 ] &&
	[ "${PYR:-0}" -eq "$N" ] && [ "$PYS" -eq 20 ] &&
	[ "${SIGPUB:-0}" -ge 5 ] && [ "${SIGRX:-0}" -eq "${SIGPUB:-0}" ] &&
	[ $GWRC -eq 0 ] && [ $GWBRC -eq 0 ]; then
	echo "demo OK: every frame arrived"
	exit 0
fi
echo "demo: frames missing (see the DROPPED column above)"
exit 1
