//go:build !linux

package core

import (
	"net"
	"syscall"
)

func ifNameToIndex(name string) (int, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, &IfError{Op: "if_nametoindex", Name: name, Err: syscall.ENODEV}
	}
	return ifi.Index, nil
}

func ifIndexToName(i int) (string, error) {
	ifi, err := net.InterfaceByIndex(i)
	if err != nil {
		return "", &IfError{Op: "if_indextoname", Index: i, Err: syscall.ENXIO}
	}
	return ifi.Name, nil
}
