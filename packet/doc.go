// Package packet is AF_PACKET capture and injection: raw and cooked sockets,
// TPACKET_V3 receive rings waited on through the runtime poller, fanout, BPF and
// tcpdump filters, and pcapng files that Wireshark opens.
package packet
