// Package tipc will hold fieldgate's TIPC helpers (service ranges, topology
// subscriptions) on top of core's engine and TIPC address types. It has no code
// yet: the TIPC address format lives in core.
package tipc
