package netlinkfam

import (
	"errors"
	"fmt"
	"runtime"
)

// Config configures a Conn. A nil *Config means the defaults.
type Config struct {
	// NetNS, if non-zero, is a file descriptor of the network namespace the
	// Conn operates in; zero means the calling thread's namespace.
	NetNS int
}

// A Conn manages links over rtnetlink in one network namespace. Its methods
// are safe for concurrent use.
type Conn struct {
	c *conn
}

// ErrNotSupported is returned (wrapped) by every call on platforms other
// than Linux.
var ErrNotSupported = fmt.Errorf("netlinkfam: not supported on %s", runtime.GOOS)

// ErrLinkNotFound is returned (wrapped) when no link has the given name.
var ErrLinkNotFound = errors.New("link not found")

// Dial opens a Conn. The caller must Close it.
func Dial(cfg *Config) (*Conn, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	c, err := dial(cfg)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c}, nil
}

// Close releases the Conn's sockets.
func (c *Conn) Close() error { return c.c.close() }

// Links lists every link of the namespace, with CAN settings and state for
// CAN links.
func (c *Conn) Links() ([]Link, error) { return c.c.links() }

// LinkByName returns the named link; the error wraps ErrLinkNotFound if there
// is none.
func (c *Conn) LinkByName(name string) (*Link, error) { return c.c.linkByName(name) }

// VCANConfig configures a new vcan link. A nil *VCANConfig means the defaults.
type VCANConfig struct {
	// FD sets the MTU to 72 so the link carries CAN FD frames.
	FD bool
}

// AddVCAN creates a virtual CAN link (`ip link add NAME type vcan`). The
// link is created down.
func (c *Conn) AddVCAN(name string, cfg *VCANConfig) error { return c.c.addVCAN(name, cfg) }

// AddVXCAN creates a virtual CAN tunnel pair (`ip link add NAME type vxcan
// peer name PEER [netns NS]`): a frame sent on one end is received on the
// other. Both ends are created down.
func (c *Conn) AddVXCAN(name string, peer *PeerConfig) error {
	return c.c.addPair("vxcan", name, peer)
}

// AddVeth creates a virtual Ethernet pair (`ip link add NAME type veth peer
// name PEER [netns NS]`). Both ends are created down.
func (c *Conn) AddVeth(name string, peer *PeerConfig) error { return c.c.addVeth(name, peer) }

// DeleteLink deletes the named link (for a pair, both ends).
func (c *Conn) DeleteLink(name string) error { return c.c.deleteLink(name) }

// SetLinkUp sets the named link administratively up.
func (c *Conn) SetLinkUp(name string) error { return c.c.setUp(name, true) }

// SetLinkDown sets the named link administratively down.
func (c *Conn) SetLinkDown(name string) error { return c.c.setUp(name, false) }

// SetLinkMTU sets the named link's MTU (on vcan/vxcan, 16 = classic CAN, 72 =
// CAN FD).
func (c *Conn) SetLinkMTU(name string, mtu int) error { return c.c.setMTU(name, mtu) }

// SetLinkNetNS moves the named link into the network namespace whose file
// descriptor is fd.
func (c *Conn) SetLinkNetNS(name string, fd int) error { return c.c.setNetNS(name, fd) }

// SetCAN changes a CAN controller's settings (`ip link set NAME type can
// ...`). Bit timing and control modes can only be changed while the link is
// down; the kernel's EBUSY is returned otherwise (errors.Is(err, unix.EBUSY)).
func (c *Conn) SetCAN(name string, cfg *CANConfig) error { return c.c.setCAN(name, cfg) }

// RestartCAN restarts a bus-off CAN controller (`ip link set NAME type can
// restart`). The kernel permits it only with automatic restart off
// (restart-ms 0; EINVAL otherwise) and while the controller is bus-off
// (EBUSY otherwise).
func (c *Conn) RestartCAN(name string) error {
	return c.c.setCAN(name, &CANConfig{Restart: true})
}

// Links lists the links of the calling thread's network namespace; see
// Conn.Links.
func Links() ([]Link, error) {
	c, err := Dial(nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Links()
}

// LinkByName returns the named link of the calling thread's network
// namespace; see Conn.LinkByName.
func LinkByName(name string) (*Link, error) {
	c, err := Dial(nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.LinkByName(name)
}
