package gateway

import (
	"net"
	"os"
)

// Notify sends a systemd notification (e.g. "READY=1", "RELOADING=1",
// "STOPPING=1") over the datagram socket named by $NOTIFY_SOCKET, as
// sd_notify(3) does, without cgo. Without NOTIFY_SOCKET it does nothing.
func Notify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' {
		path = "\x00" + path[1:] // abstract namespace
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}
