// Package hil is the hardware-in-the-loop rig: it provisions a Debian kernel and
// QEMU, boots a guest whose userland is the host root shared read-only over 9p,
// loads the CAN, AF_ALG, TIPC, Bluetooth and vsock modules, creates vcan/vxcan
// interfaces and two emulated SJA1000 controllers, and runs commands or test
// binaries inside it. Tests and the Makefile use it; the product never imports it.
package hil
