// Package can is SocketCAN for Go: classic and CAN FD frames, raw sockets with
// filters, the broadcast manager (BCM), ISO-TP, J1939 and the kernel CAN gateway
// (can-gw), tested against can-utils, python-can and CPython's socket module.
package can
