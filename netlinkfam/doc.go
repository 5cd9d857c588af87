// Package netlinkfam manages links over rtnetlink: it creates vcan, vxcan and
// veth links (pair peers optionally in another network namespace), sets
// links up and down or moves them between namespaces, writes CAN bit timing,
// CAN FD data bit timing, control modes, restart-ms, manual restart and
// termination (IFLA_CAN_*), reads back bit-timing constants, controller
// state, error counters and device statistics, and subscribes to link
// events such as a CAN controller going bus-off and coming back.
//
// The rig's peers for this package are iproute2 (`ip -d -s link show`
// reads back what we set) and the kernel's can-dev, vcan, vxcan and sja1000
// drivers.
//
// # Dependencies
//
//   - github.com/vishvananda/netlink does ordinary link management (vcan and
//     veth creation, delete, up/down, MTU, netns moves): it is the
//     de-facto standard, well tested against many kernels, and handles the
//     netns plumbing for veth peers.
//   - github.com/mdlayher/netlink carries raw rtnetlink messages for what
//     vishvananda/netlink cannot express: it can read but not write the
//     IFLA_CAN_* attributes, knows no vxcan, and drops the CAN attributes
//     it does not model (data bit timing, termination, device statistics).
//     Its Conn binds a socket to a namespace (Config.NetNS), serves dumps
//     and ACKs with errors that unwrap to unix.Errno, and is the socket our
//     link-event subscription reads.
//   - The IFLA_CAN_* encoder and decoder, and the RTM_NEWLINK decoder, are
//     our own (caninfo.go, link.go): small, exact against hand-computed
//     kernel layouts, and fuzzed (FuzzDecodeCANInfo, FuzzDecodeLink).
//
// Every function needs CAP_NET_ADMIN for changes. On platforms other than
// Linux every call returns an error wrapping ErrNotSupported.
package netlinkfam
