package core

import (
	"strconv"
	"strings"
	"syscall"
)

// UnixAddr is an AF_UNIX socket address: Python's path string (or bytes
// for Linux abstract names). Name is one of:
//   - a filesystem path without NUL bytes, at most 107 bytes (108 are
//     accepted as the kernel does, without the terminating NUL);
//   - a Linux abstract name, written with a leading "@" (as Go's net
//     package does) or a leading "\x00" (as Python does), at most 107
//     bytes after that first byte; it may contain NUL bytes;
//   - "" for an unnamed socket: binding it asks the kernel to autobind an
//     abstract name, and unnamed peers decode to "".
//
// Decoded abstract names always use the "@" form, so a filesystem path that
// really begins with "@" must be written "./@name".
// struct sockaddr_un: 2 + 108 bytes; the encoded length is 2 + path + NUL for
// paths, 2 + 1 + name (no NUL) for abstract names, 2 for autobind.
type UnixAddr struct {
	Name string
}

var (
	_ Addr = UnixAddr{}
	_ Addr = (*UnixAddr)(nil)
)

// Family returns AF_UNIX.
func (UnixAddr) Family() int { return AF_UNIX }

// String returns the name, abstract names with their "@", NULs inside an
// abstract name escaped as \x00.
func (a UnixAddr) String() string {
	n := a.Name
	if strings.HasPrefix(n, "\x00") {
		n = "@" + n[1:]
	}
	if strings.IndexByte(n, 0) >= 0 {
		q := strconv.Quote(n)
		return q[1 : len(q)-1]
	}
	return n
}

// Abstract reports whether a names a Linux abstract socket.
func (a UnixAddr) Abstract() bool {
	return len(a.Name) > 0 && (a.Name[0] == '@' || a.Name[0] == 0)
}

const unixPathMax = 108 // sizeof(sun_path)

func (a *UnixAddr) appendTo(dst []byte) ([]byte, error) {
	n := a.Name
	if a.Abstract() {
		if len(n) > unixPathMax {
			return dst, marshalErr(AF_UNIX, "Name", "abstract name is "+strconv.Itoa(len(n)-1)+" bytes, at most 107 fit", syscall.ENAMETOOLONG)
		}
		dst, b := grow(dst, 2+len(n))
		putFamily(b, AF_UNIX)
		copy(b[3:], n[1:]) // b[2] stays 0: the abstract marker
		return dst, nil
	}
	if strings.IndexByte(n, 0) >= 0 {
		return dst, marshalErr(AF_UNIX, "Name", "path "+strconv.Quote(truncate(n))+" contains a NUL byte", syscall.EINVAL)
	}
	if len(n) > unixPathMax {
		return dst, marshalErr(AF_UNIX, "Name", "path is "+strconv.Itoa(len(n))+" bytes, at most 108 fit", syscall.ENAMETOOLONG)
	}
	size := 2
	if len(n) > 0 {
		size += len(n) + 1 // including the terminating NUL, as CPython does
	}
	if size > SizeofSockaddrUnix {
		size = SizeofSockaddrUnix // a full 108-byte sun_path has no room for the NUL; the kernel accepts it
	}
	dst, b := grow(dst, size)
	putFamily(b, AF_UNIX)
	copy(b[2:], n)
	return dst, nil
}

func (a *UnixAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_UNIX, "sockaddr_un", 2); err != nil {
		return err
	}
	if len(raw) > SizeofSockaddrUnix+1 {
		// The kernel may return one byte past sun_path for a 108-byte
		// path it NUL-terminates; more is not a sockaddr_un.
		return parseErr(AF_UNIX, len(raw), "", "longer than sockaddr_un ("+strconv.Itoa(SizeofSockaddrUnix)+" bytes)")
	}
	p := raw[2:]
	switch {
	case len(p) == 0:
		a.Name = ""
	case p[0] == 0:
		if len(p) > unixPathMax {
			return parseErr(AF_UNIX, len(raw), "Name", "abstract name longer than sun_path")
		}
		if a.Name != "" && a.Name[0] == '@' && a.Name[1:] == string(p[1:]) {
			return nil // unchanged: no allocation
		}
		a.Name = "@" + string(p[1:])
	default:
		if len(p) > unixPathMax {
			p = p[:unixPathMax]
		}
		name, _ := cString(p)
		a.Name = name
	}
	return nil
}
