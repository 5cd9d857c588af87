//go:build linux

package netlinkfam

import (
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	vnl "github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// conn pairs a raw rtnetlink socket (mdlayher/netlink: for what
// vishvananda/netlink cannot express — IFLA_CAN_* settings, vxcan — and for
// our own link decoder) with a vishvananda/netlink handle (for ordinary link
// management), both bound to the same namespace.
type conn struct {
	nl *netlink.Conn
	h  *vnl.Handle
}

func dial(cfg *Config) (*conn, error) {
	nl, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: cfg.NetNS})
	if err != nil {
		return nil, fmt.Errorf("netlinkfam: dial rtnetlink: %w", err)
	}
	var h *vnl.Handle
	if cfg.NetNS != 0 {
		h, err = vnl.NewHandleAt(netns.NsHandle(cfg.NetNS), unix.NETLINK_ROUTE)
	} else {
		h, err = vnl.NewHandle(unix.NETLINK_ROUTE)
	}
	if err != nil {
		nl.Close()
		return nil, fmt.Errorf("netlinkfam: dial rtnetlink: %w", err)
	}
	return &conn{nl: nl, h: h}, nil
}

func (c *conn) close() error {
	c.h.Close()
	return c.nl.Close()
}

func (c *conn) links() ([]Link, error) {
	msgs, err := c.nl.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETLINK, Flags: netlink.Request | netlink.Dump},
		Data:   appendIfInfomsg(nil, 0, 0, 0),
	})
	if err != nil {
		return nil, fmt.Errorf("netlinkfam: list links: %w", err)
	}
	ls := make([]Link, 0, len(msgs))
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK {
			continue
		}
		l, err := decodeLink(m.Data)
		if err != nil {
			return nil, err
		}
		ls = append(ls, *l)
	}
	return ls, nil
}

func (c *conn) linkByName(name string) (*Link, error) {
	if err := validIfName("link name", name); err != nil {
		return nil, err
	}
	msgs, err := c.nl.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETLINK, Flags: netlink.Request},
		Data:   appendStringAttr(appendIfInfomsg(nil, 0, 0, 0), iflaIfname, name),
	})
	if err != nil {
		if errors.Is(err, unix.ENODEV) {
			return nil, fmt.Errorf("netlinkfam: link %s: %w (%w)", name, ErrLinkNotFound, err)
		}
		return nil, fmt.Errorf("netlinkfam: get link %s: %w", name, err)
	}
	for _, m := range msgs {
		if m.Header.Type == unix.RTM_NEWLINK {
			return decodeLink(m.Data)
		}
	}
	return nil, fmt.Errorf("netlinkfam: link %s: %w", name, ErrLinkNotFound)
}

func (c *conn) index(name string) (int, error) {
	l, err := c.linkByName(name)
	if err != nil {
		return 0, err
	}
	return l.Index, nil
}

func (c *conn) vlink(op, name string) (vnl.Link, error) {
	if err := validIfName("link name", name); err != nil {
		return nil, err
	}
	l, err := c.h.LinkByName(name)
	if err != nil {
		var nf vnl.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("netlinkfam: %s %s: %w", op, name, ErrLinkNotFound)
		}
		return nil, fmt.Errorf("netlinkfam: %s %s: %w", op, name, err)
	}
	return l, nil
}

func (c *conn) addVCAN(name string, cfg *VCANConfig) error {
	if err := validIfName("link name", name); err != nil {
		return err
	}
	attrs := vnl.NewLinkAttrs()
	attrs.Name = name
	if cfg != nil && cfg.FD {
		attrs.MTU = canFDMTU
	}
	if err := c.h.LinkAdd(&vnl.GenericLink{LinkAttrs: attrs, LinkType: "vcan"}); err != nil {
		return fmt.Errorf("netlinkfam: add vcan %s: %w", name, err)
	}
	return nil
}

func (c *conn) addPair(kind, name string, peer *PeerConfig) error {
	b, err := encodeNewPair(kind, name, peer)
	if err != nil {
		return err
	}
	_, err = c.nl.Execute(netlink.Message{
		Header: netlink.Header{
			Type:  unix.RTM_NEWLINK,
			Flags: netlink.Request | netlink.Acknowledge | netlink.Create | netlink.Excl,
		},
		Data: b,
	})
	if err != nil {
		return fmt.Errorf("netlinkfam: add %s %s: %w", kind, name, err)
	}
	return nil
}

func (c *conn) addVeth(name string, peer *PeerConfig) error {
	if err := validIfName("link name", name); err != nil {
		return err
	}
	if peer == nil {
		peer = &PeerConfig{}
	}
	if peer.Name != "" {
		if err := validIfName("peer name", peer.Name); err != nil {
			return err
		}
	}
	attrs := vnl.NewLinkAttrs()
	attrs.Name = name
	v := &vnl.Veth{LinkAttrs: attrs, PeerName: peer.Name}
	if peer.NetNS != 0 {
		v.PeerNamespace = vnl.NsFd(peer.NetNS)
	}
	if err := c.h.LinkAdd(v); err != nil {
		return fmt.Errorf("netlinkfam: add veth %s: %w", name, err)
	}
	return nil
}

func (c *conn) deleteLink(name string) error {
	l, err := c.vlink("delete link", name)
	if err != nil {
		return err
	}
	if err := c.h.LinkDel(l); err != nil {
		return fmt.Errorf("netlinkfam: delete link %s: %w", name, err)
	}
	return nil
}

func (c *conn) setUp(name string, up bool) error {
	op := "set link down"
	if up {
		op = "set link up"
	}
	l, err := c.vlink(op, name)
	if err != nil {
		return err
	}
	if up {
		err = c.h.LinkSetUp(l)
	} else {
		err = c.h.LinkSetDown(l)
	}
	if err != nil {
		return fmt.Errorf("netlinkfam: %s %s: %w", op, name, err)
	}
	return nil
}

func (c *conn) setMTU(name string, mtu int) error {
	if mtu <= 0 {
		return fmt.Errorf("netlinkfam: set mtu %s: mtu %d must be positive", name, mtu)
	}
	l, err := c.vlink("set mtu", name)
	if err != nil {
		return err
	}
	if err := c.h.LinkSetMTU(l, mtu); err != nil {
		return fmt.Errorf("netlinkfam: set mtu %s %d: %w", name, mtu, err)
	}
	return nil
}

func (c *conn) setNetNS(name string, fd int) error {
	if fd <= 0 {
		return fmt.Errorf("netlinkfam: set netns %s: netns fd %d must be positive", name, fd)
	}
	l, err := c.vlink("set netns", name)
	if err != nil {
		return err
	}
	if err := c.h.LinkSetNsFd(l, fd); err != nil {
		return fmt.Errorf("netlinkfam: set netns %s: %w", name, err)
	}
	return nil
}

func (c *conn) setCAN(name string, cfg *CANConfig) error {
	idx, err := c.index(name)
	if err != nil {
		return err
	}
	b, err := encodeSetCAN(idx, cfg)
	if err != nil {
		return fmt.Errorf("netlinkfam: set can %s: %w", name, err)
	}
	_, err = c.nl.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_NEWLINK, Flags: netlink.Request | netlink.Acknowledge},
		Data:   b,
	})
	if err != nil {
		return fmt.Errorf("netlinkfam: set can %s: %w", name, err)
	}
	return nil
}
