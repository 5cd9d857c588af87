//go:build !linux

package ifstate

// LinkDown reports errors that mean the interface is gone or down; off
// Linux there are no such interfaces.
func LinkDown(err error) bool { return false }
