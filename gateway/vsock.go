package gateway

import (
	"net"

	"github.com/mdlayher/vsock"
)

func listenVsock(port uint32) (net.Listener, error) { return vsock.Listen(port, nil) }

func dialVsock(cid, port uint32) (net.Conn, error) { return vsock.Dial(cid, port, nil) }
