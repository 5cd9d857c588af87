#!/bin/bash
# Regenerates dumpcap.pcapng and tcpdump.pcap (run as root from this folder):
# two namespaces joined by a veth pair, 6 UDP datagrams to port 9 sent with
# bash's /dev/udp, captured on the receiving side by dumpcap (pcapng) and
# tcpdump -w (pcap), both with the filter "udp port 9".
set -eu
ip netns add fgseed1; ip netns add fgseed2
trap 'ip netns del fgseed1; ip netns del fgseed2' EXIT
ip -n fgseed1 link add A type veth peer name B netns fgseed2
ip -n fgseed1 addr add 10.77.0.1/24 dev A; ip -n fgseed1 link set A up
ip -n fgseed2 addr add 10.77.0.2/24 dev B; ip -n fgseed2 link set B up
ip netns exec fgseed2 dumpcap -q -i B -f "udp port 9" -c 6 -w "$PWD/dumpcap.pcapng" & d=$!
ip netns exec fgseed2 tcpdump -q -i B -c 6 -w "$PWD/tcpdump.pcap" udp port 9 & t=$!
sleep 2
for i in 1 2 3 4 5 6; do
  ip netns exec fgseed1 bash -c "echo datagram-$i > /dev/udp/10.77.0.2/9"; sleep 0.1
done
wait $d $t
chmod 644 dumpcap.pcapng tcpdump.pcap
