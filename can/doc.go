// Package can is SocketCAN for Go: classic and CAN FD frames, raw sockets with
// filters, the broadcast manager (BCM), ISO-TP, J1939 and the kernel CAN gateway
// (can-gw), tested against can-utils, python-can and CPython's socket module.
//
// # Values
//
// Frame is a classic CAN frame (struct can_frame, 16 bytes) and converts to
// and from go.einride.tech/can's Frame, so einride's DBC tooling applies.
// FDFrame carries either kind (struct canfd_frame, 72 bytes, or a classic
// frame with its remote bit and raw DLC 9..15) and is the unit of I/O.
// Both marshal to the exact kernel layouts; their text form is can-utils'
// cansend/candump syntax (ParseFrame, FDFrame.AppendText), and LogReader /
// LogWriter read and write candump -l logs that canplayer replays. Error
// frames decode with ParseError into an ErrorFrame (classes, controller
// state, error counters) that is an error. DBC decodes signals for
// human-readable dumps.
//
// # Sockets (Linux)
//
//   - RawConn (ListenRaw): CAN_RAW with filters (Filter, inverted, joined),
//     error mask, loopback and own-message reception, CAN FD, kernel or
//     hardware timestamps, the SO_RXQ_OVFL drop counter, and batch I/O:
//     ReadBatch/WriteBatch move up to 64 frames per recvmmsg/sendmmsg and
//     do not allocate in the steady state.
//   - BCMConn (DialBCM): every broadcast manager opcode, classic and FD.
//   - ISOTPConn (DialISOTP): ISO 15765-2 with every socket option.
//   - J1939Conn (ListenJ1939): SAE J1939 with NAME/PGN/address binding,
//     promiscuous mode, priority, broadcast, error-queue transfer events and
//     an address claim helper; the kernel runs the transport protocols.
//   - The can-gw rules (gw*.go) configure the kernel's CAN gateway.
//
// Other platforms compile and return a "not supported" error.
//
// # Dependencies
//
//   - github.com/fieldgate/fieldgate/core (core.Socket) is fieldgate's
//     socket engine: sockets on Go's runtime poller (via
//     github.com/mdlayher/socket) with contexts and deadlines, the
//     sockaddr_can codec (CANAddr, ISOTPAddr, J1939Addr) and batch
//     recvmmsg/sendmmsg (RecvMmsg/SendMmsg) that allocate nothing in the
//     steady state. The batch paths here probe readiness with poll(2)
//     first, so a cancelable context costs nothing while frames flow.
//   - golang.org/x/sys/unix for constants and the few system calls core
//     does not wrap (poll, getsockopt beyond 1024 bytes).
//   - go.einride.tech/can: its Frame is what Go's CAN ecosystem (DBC code
//     generation, pkg/dbc, pkg/descriptor) speaks; we reuse its DBC parser
//     and signal extraction instead of writing another.
//
// The rig tests (*_hil_test.go, build tag hil) run against real peers:
// candump, cansend, cangen, canplayer, isotpsend/isotprecv, j1939cat,
// cangw, CPython's socket module and python-can, on vcan and on the
// emulated SJA1000 pair can0/can1.
package can
