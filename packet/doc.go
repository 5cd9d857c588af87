// Package packet is AF_PACKET capture and injection: raw and cooked sockets,
// TPACKET_V3 receive rings waited on through the runtime poller, fanout, BPF and
// tcpdump filters, and pcapng files that Wireshark opens.
//
// # Sockets
//
// Listen opens a packet socket on one interface or on all of them (nil
// interface). Config selects raw or cooked (Datagram) frames, a protocol,
// promiscuous mode (a packet membership, undone by the kernel when the
// socket closes), a classic BPF filter attached before the socket is bound,
// PACKET_IGNORE_OUTGOING, PACKET_QDISC_BYPASS, a fanout group and a ring.
//
// Without a ring, ReadPacket is one recvmsg(2) with PACKET_AUXDATA and
// SO_TIMESTAMPNS. With Config.Ring, the kernel fills a TPACKET_V3 ring
// mapped into the process: ReadBlock hands over one retired block for
// zero-copy iteration (Block.Next, Block.Release), ReadPacket copies
// packet by packet for callers that keep data. By default waiting for a
// block does not block a thread in poll(2): the wait is a read on the
// socket's runtime poller descriptor (github.com/mdlayher/socket's
// ReadFunc), woken by the kernel's sk_data_ready when it retires a block,
// so deadlines, contexts and Close interrupt it and thousands of rings
// cost no threads. RingConfig.WaitOnThread departs from that for the one
// case where it measurably loses: fanout members in one process doing
// CPU-bound work per packet, whose poller wake-ups ran them one at a time
// (BENCHMARKS.md, packet); they wait in poll(2) on their own threads
// instead, in slices of at most 10 ms so that deadlines, contexts and
// Close still end the wait.
//
// The receive path strips the outer VLAN tag into packet metadata. Unless
// Config.KeepVLAN is set, the tag is written back into the frame as
// tcpdump does (in place in the ring, which reserves room in front of each
// frame), so Data is the frame as it was on the wire; Packet.VLAN reports
// it either way.
//
// Stats are cumulative: the kernel zeroes PACKET_STATISTICS on every read,
// Conn keeps the totals.
//
// # Transmitting
//
// WriteTo sends one frame with sendto(2); WriteBatch sends many with
// sendmmsg(2), up to 1024 per system call, retrying on a full device queue
// instead of dropping. In BenchmarkTransmit (BENCHMARKS.md) a batch costs
// about half the CPU per frame of one sendto each; `fieldgate inject` uses
// it at full speed. A PACKET_TX_RING was built and measured against it
// (txring_eval_linux_test.go) and not shipped: it was no faster than
// sendmmsg for 64- or 1514-byte frames on veth, and it has hazards
// sendmmsg has not (a frame the kernel refuses wedges the ring unless
// PACKET_LOSS is set, and with PACKET_LOSS such frames vanish without an
// error).
//
// # Fanout
//
// FanoutConfig joins a PACKET_FANOUT group: hash, lb, cpu, rollover,
// random, qm, cbpf (a classic BPF program picks the socket) or ebpf, with
// the rollover, defrag, unique-id and ignore-outgoing flags. The cbpf and
// ebpf modes are tested with exact per-socket counts: the eBPF test loads
// hand-assembled BPF_PROG_TYPE_SOCKET_FILTER programs with bpf(2) (a
// payload byte, skb->len parity) on the host kernel. MaxMembers
// uses struct fanout_args (Linux 5.13+) and falls back to the 4-byte form
// older kernels take when the limit does not need raising.
//
// # Filters
//
// CompileFilter compiles tcpdump (pcap-filter(7)) expressions to classic
// BPF in pure Go; AssembleFilter prepares one for a live socket, where the
// kernel has stripped VLAN tags (tested through BPF ancillary data).
// Candidates evaluated first, on a table of 58 expressions run against
// tcpdump -r verdicts on the same pcap file:
//
//   - github.com/packetcap/go-pcap/filter (v0.0.0-20240528124601): 26
//     verdicts right, 9 wrong (port and host primitives also match
//     non-matching protocols, tcp[13] tests misread) and 23 expressions not
//     compiled or compiled to programs the BPF VM rejects (jumps past the
//     end: "ip", "arp", "ip and not icmp"; no vlan, greater/less,
//     ether broadcast, ether proto, arithmetic).
//   - github.com/pgaskin/go-pcapfilter (libpcap's own compiler translated
//     from WebAssembly to Go) is not available from the module proxy.
//
// So the compiler here is our own, a direct translation of libpcap's
// semantics (which headers guard a load, IPv4 fragments, the IPv6
// fragment header in protocol tests, qualifier inheritance, equal
// precedence of and/or): all 97 expressions of its test table accept
// exactly the packets tcpdump accepts, both run in the x/net/bpf VM on a
// file and attached to live sockets on veth traffic.
//
// # pcapng
//
// Writer writes pcapng with any number of interfaces of different link
// types in one file (Ethernet = 1 and LINKTYPE_CAN_SOCKETCAN = 227 side by
// side), nanosecond timestamps, interface names, direction flags and
// Interface Statistics Blocks with received and dropped counts; CreateFile
// rotates by size and by capture time (dumpcap's file naming and ring
// buffer of N files), every file standing alone. Reader reads pcapng
// (several sections, any byte order and timestamp resolution) and classic
// pcap. AppendRecord/AppendSocketCAN encode captured frames for the file:
// SocketCAN can_id in network byte order, CANFD_FDF on FD frames.
//
// github.com/gopacket/gopacket/pcapgo (v1.7.7) was evaluated first: its
// NgWriter takes the pcapng interface id from CaptureInfo.InterfaceIndex,
// the field gopacket's capture sources fill with the kernel ifindex, so
// packets passed straight through land on a wrong or missing interface
// (the known pitfall); it has no rotation and would bring the whole
// gopacket module. The writer and reader here are about 1000 lines,
// validate every length before use and are fuzzed (FuzzReader).
//
// # Using the package in the gateway
//
// A capture endpoint: one Writer from CreateFile (WriterConfig.RotateSize,
// RotateInterval, MaxFiles, OnRotate for metrics), one AddInterface per
// source endpoint (Name = endpoint name; LinkTypeEthernet for Ethernet
// frames, LinkTypeCANSocketCAN for CAN and CAN FD), then WritePacket from
// any goroutine (the Writer is safe for concurrent use) with the frame's
// receive time. CAN frames go in as AppendCANRecord(nil, id, fd, flags,
// data) from their fields, or AppendSocketCAN from a kernel can_frame.
// WriteStats records an endpoint's received/dropped counters in the file;
// Close writes the last ones.
//
// A packet (raw Ethernet bridge) endpoint: Listen on each interface with a
// Ring, Promiscuous, a Filter from AssembleFilter and IgnoreOutgoing, so
// that frames the bridge writes out on an interface are not read back from
// it (no loops); read with ReadBlock/Block.Next (Data is valid until
// Release: write it out before releasing) and send with WriteTo on the
// other interface's Conn, or a Conn opened with Config.SendOnly. Conn.Stats
// gives cumulative received/dropped counters for metrics.
//
// # Dependencies
//
//   - github.com/mdlayher/socket: the socket on the runtime network
//     poller; ReadFunc is what lets a ring wait park in the poller.
//   - github.com/mdlayher/packet: evaluated as the base of Conn; its Listen
//     binds the socket immediately (packets would queue before the ring
//     and filter exist), cannot bind to all interfaces and has no
//     recvmsg, so Conn uses mdlayher/socket directly, the engine
//     mdlayher/packet itself is built on. mdlayher/packet is the
//     one-recvfrom-per-packet baseline of the benchmarks.
//   - golang.org/x/net/bpf: BPF instructions, assembler, and the VM the
//     filter tests run programs in.
//   - golang.org/x/sys/unix: system calls, TPACKET and fanout constants.
//
// # Peers and kernels
//
// Tests build network namespaces with veth pairs on the host kernel and
// compare with tcpdump, dumpcap and tshark; CAN capture (vcan0) is tested
// in the rig (Linux 6.1). The package needs Linux 3.2+ for TPACKET_V3,
// 4.20+ for IgnoreOutgoing, 5.13+ for FanoutConfig.MaxMembers > 256.
package packet
