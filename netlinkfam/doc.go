// Package netlinkfam manages links over rtnetlink: it creates vcan, vxcan and
// veth links, writes CAN bit timing and control modes (IFLA_CAN_*, which
// github.com/vishvananda/netlink can read but not write), and subscribes to link
// events such as a CAN controller going bus-off.
package netlinkfam
