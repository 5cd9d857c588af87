//go:build !linux

package socketcand

import (
	"fmt"
	"runtime"

	proto "github.com/fieldgate/fieldgate/gateway/socketcand"
)

func dialISOTP(iface string, c *proto.ISOTPConf) (pduConn, error) {
	return nil, fmt.Errorf("socketcand isotpmode is not supported on %s", runtime.GOOS)
}

func dialBCM(iface string) (bcmConn, error) {
	return nil, fmt.Errorf("socketcand muxfilter is not supported on %s", runtime.GOOS)
}

func isotpTransferError(err error) bool { return false }
