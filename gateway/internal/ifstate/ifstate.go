// Package ifstate classifies socket errors by what they say about the
// interface under the socket, for the endpoint kinds on CAN and Ethernet
// interfaces.
package ifstate
