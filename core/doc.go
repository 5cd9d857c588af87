// Package core is fieldgate's socket engine: every socket family, address format,
// socket method and module function that Python's socket module offers on Linux,
// in idiomatic Go, on the Go runtime poller (github.com/mdlayher/socket), with
// deadlines and contexts, plus batch I/O (recvmmsg/sendmmsg) beyond Python.
package core
