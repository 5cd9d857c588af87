//go:build linux

package can

import (
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// gwConn is an rtnetlink socket (mdlayher/netlink: namespace binding, ACK
// and dump handling, errors that unwrap to unix.Errno).
type gwConn struct {
	nl *netlink.Conn
}

func dialGateway(cfg *GatewayConfig) (*gwConn, error) {
	nl, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: cfg.NetNS})
	if err != nil {
		return nil, fmt.Errorf("can: gateway: dial rtnetlink: %w", err)
	}
	return &gwConn{nl: nl}, nil
}

func (c *gwConn) close() error { return c.nl.Close() }

func (c *gwConn) request(op string, typ netlink.HeaderType, data []byte) error {
	_, err := c.nl.Execute(netlink.Message{
		Header: netlink.Header{Type: typ, Flags: netlink.Request | netlink.Acknowledge},
		Data:   data,
	})
	if err != nil {
		return fmt.Errorf("can: gateway %s: %w", op, err)
	}
	return nil
}

func (c *gwConn) add(r *GatewayRule) error {
	b, err := r.MarshalBinary()
	if err != nil {
		return fmt.Errorf("can: gateway add: %w", err)
	}
	return c.request("add "+r.String(), unix.RTM_NEWROUTE, b)
}

func (c *gwConn) del(r *GatewayRule) error {
	b, err := r.MarshalBinary()
	if err != nil {
		return fmt.Errorf("can: gateway delete: %w", err)
	}
	return c.request("delete "+r.String(), unix.RTM_DELROUTE, b)
}

func (c *gwConn) flush() error {
	return c.request("flush", unix.RTM_DELROUTE, gatewayFlushMessage())
}

func (c *gwConn) rules() ([]GatewayRule, error) {
	msgs, err := c.nl.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETROUTE, Flags: netlink.Request | netlink.Dump},
		Data:   gwAppendRtcanmsg(nil, 0),
	})
	if err != nil {
		return nil, fmt.Errorf("can: gateway list: %w", err)
	}
	rs := make([]GatewayRule, 0, len(msgs))
	for i, m := range msgs {
		if m.Header.Type != unix.RTM_NEWROUTE {
			continue
		}
		if len(m.Data) > 0 && m.Data[0] != afCAN {
			// Without a handler for AF_CAN the kernel answers the dump
			// with every family's routes.
			return nil, fmt.Errorf("can: gateway list: kernel answered with routes of family %d: is the can-gw module loaded? (%w)", m.Data[0], unix.EAFNOSUPPORT)
		}
		var r GatewayRule
		if err := r.UnmarshalBinary(m.Data); err != nil {
			return nil, fmt.Errorf("can: gateway list: rule %d: %w", i, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}
