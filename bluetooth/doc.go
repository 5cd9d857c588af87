// Package bluetooth will hold fieldgate's Bluetooth sockets (HCI, L2CAP, RFCOMM,
// SCO) on top of core's engine and address types. It has no code yet: the
// Bluetooth address formats live in core, and the socket helpers arrive with the
// Bluetooth issue.
package bluetooth
