//go:build !linux

package can

import (
	"fmt"
	"runtime"
)

type gwConn struct{}

var errGatewayNotSupported = fmt.Errorf("can: kernel CAN gateway not supported on %s", runtime.GOOS)

func dialGateway(*GatewayConfig) (*gwConn, error) { return nil, errGatewayNotSupported }
func (*gwConn) close() error                      { return errGatewayNotSupported }
func (*gwConn) add(*GatewayRule) error            { return errGatewayNotSupported }
func (*gwConn) del(*GatewayRule) error            { return errGatewayNotSupported }
func (*gwConn) flush() error                      { return errGatewayNotSupported }
func (*gwConn) rules() ([]GatewayRule, error)     { return nil, errGatewayNotSupported }
