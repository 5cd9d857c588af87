// Package bluetooth is Linux Bluetooth (AF_BLUETOOTH) for Go on top of
// core's socket engine: HCI sockets to talk to controllers directly, the
// kernel's controller list and power control, the HCI monitor channel, and
// L2CAP and RFCOMM connections as net.Listener and net.Conn.
//
// # HCI
//
//   - OpenHCI opens an HCI socket on a controller and channel (raw by
//     default; user, monitor, control). A raw socket gets a receive filter
//     (Filter, struct hci_ufilter, HCI_FILTER) that passes every event.
//   - HCI.Command sends a command and returns its Command Complete return
//     parameters (a non-zero status is a *StatusError); ReadBDAddr,
//     ReadLocalVersion, ReadLocalName and WriteLocalName are built on it.
//   - Devices and Device report the kernel's controllers (HCIGETDEVLIST,
//     HCIGETDEVINFO): name, address, bus, flags, MTUs, counters. DeviceUp,
//     DeviceDown and SetScan are hciconfig's up, down and piscan.
//   - OpenMonitor reads the monitor channel (what btmon reads):
//     controllers appearing and going, and every command, event and data
//     packet. ParseEvent, ParseCommand, ParsePacket and ParseMonitor decode
//     the packets; they are fuzzed.
//
// # L2CAP and RFCOMM
//
// ListenL2CAP and DialL2CAP (SOCK_SEQPACKET by default, or SOCK_STREAM),
// ListenRFCOMM and DialRFCOMM (SOCK_STREAM). Addresses are core's
// L2CAPAddr and RFCOMMAddr; a listener on PSM 0 or channel 0 gets one from
// the kernel (Listener.Addr). Config sets BT_SECURITY and the L2CAP MTUs
// (L2CAP_OPTIONS); Conn reads them back. Every blocking call takes a
// context or honours deadlines; errors name the operation and the address
// and are errors.Is-compatible with unix.Errno.
//
// # Kernel and peers
//
// The development machines' kernel has no Bluetooth; every constructor
// there fails with an error satisfying errors.Is(err, unix.EAFNOSUPPORT)
// that names the module. The rig (hil/) tests this package against the
// real kernel stack: BlueZ's btvirt emulates three controllers on
// /dev/vhci that can reach each other, and the peers are Debian's
// /usr/bin/python3 socket module, hciconfig, l2test and rctest
// (*_hil_test.go). On the rig's kernel (Debian 6.1.0-57) an L2CAP connect
// to an address nobody answers panics the kernel under btvirt, from Python
// as from Go, so that case is not tested.
//
// Other platforms build; every function returns an error saying Bluetooth
// is not supported there.
//
// # Dependencies
//
// github.com/fieldgate/fieldgate/core provides the sockets (on Go's
// runtime poller via github.com/mdlayher/socket, with contexts and
// deadlines) and the Bluetooth sockaddr codecs; golang.org/x/sys/unix the
// constants. x/sys has no HCI ioctls, filter or packet types, so those are
// encoded here. The Go Bluetooth libraries that exist were not taken:
// paypal/gatt and its forks carry their own socket layer for BLE GATT only
// and are unmaintained; tinygo-org/bluetooth speaks to bluetoothd over
// D-Bus rather than to the kernel's sockets, and the rig runs no
// bluetoothd.
package bluetooth
