//go:build !linux

package gateway

import (
	"fmt"
	"runtime"

	"github.com/fieldgate/fieldgate/gateway/socketcand"
)

func dialSCISOTP(iface string, c *socketcand.ISOTPConf) (scPDUConn, error) {
	return nil, fmt.Errorf("socketcand isotpmode is not supported on %s", runtime.GOOS)
}

func dialSCBCM(iface string) (scBCMConn, error) {
	return nil, fmt.Errorf("socketcand muxfilter is not supported on %s", runtime.GOOS)
}

func isotpTransferError(err error) bool { return false }

func linkDown(err error) bool { return false }
