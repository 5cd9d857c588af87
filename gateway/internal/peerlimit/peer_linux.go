package peerlimit

import (
	"net"
	"strconv"
	"syscall"
)

// unixPeer identifies a unix socket peer by its uid (SO_PEERCRED).
func unixPeer(c *net.UnixConn) Peer {
	rc, err := c.SyscallConn()
	if err != nil {
		return Peer{Name: "local"}
	}
	var cred *syscall.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return Peer{Name: "local"}
	}
	uid := strconv.FormatUint(uint64(cred.Uid), 10)
	return Peer{Key: "uid " + uid, Name: "uid " + uid + " pid " + strconv.FormatInt(int64(cred.Pid), 10)}
}
