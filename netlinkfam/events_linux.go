//go:build linux

package netlinkfam

import (
	"context"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

func subscribeLinks(ctx context.Context, cfg *SubscribeConfig) (<-chan LinkEvent, error) {
	nl, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{
		NetNS:  cfg.NetNS,
		Groups: 1 << (unix.RTNLGRP_LINK - 1),
	})
	if err != nil {
		return nil, fmt.Errorf("netlinkfam: subscribe links: %w", err)
	}
	if cfg.ReadBuffer > 0 {
		if err := nl.SetReadBuffer(cfg.ReadBuffer); err != nil {
			nl.Close()
			return nil, fmt.Errorf("netlinkfam: subscribe links: set read buffer %d: %w", cfg.ReadBuffer, err)
		}
	}
	// A second socket for listings, so that dump replies never interleave
	// with notifications.
	lc, err := dial(&Config{NetNS: cfg.NetNS})
	if err != nil {
		nl.Close()
		return nil, fmt.Errorf("netlinkfam: subscribe links: %w", err)
	}
	s := &subscription{lastState: make(map[int]CANState)}
	var initial []LinkEvent
	if cfg.ListExisting {
		ls, err := lc.links()
		if err != nil {
			nl.Close()
			lc.close()
			return nil, fmt.Errorf("netlinkfam: subscribe links: %w", err)
		}
		for i := range ls {
			initial = append(initial, s.event(&ls[i], false, true))
		}
	}
	n := cfg.Buffer
	if n <= 0 {
		n = 64
	}
	ch := make(chan LinkEvent, n)
	stop := context.AfterFunc(ctx, func() { nl.Close() })
	go func() {
		defer close(ch)
		defer stop()
		defer lc.close()
		defer nl.Close()
		send := func(ev LinkEvent) bool {
			select {
			case ch <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for _, ev := range initial {
			if !send(ev) {
				return
			}
		}
		for {
			msgs, err := nl.Receive()
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, unix.ENOBUFS) {
				// Notifications were lost. The kernel reports ENOBUFS once
				// and then drops silently until our queue has been read
				// empty, so drain it first (what is queued is superseded
				// by the listing), then list: any loss after the drain is
				// reported again.
				if derr := drain(nl); derr != nil {
					send(LinkEvent{Err: fmt.Errorf("netlinkfam: drain after lost notifications: %w", derr)})
					return
				}
				ls, lerr := lc.links()
				if lerr != nil {
					send(LinkEvent{Err: fmt.Errorf("netlinkfam: resync after lost notifications: %w", lerr)})
					return
				}
				for i := range ls {
					if !send(s.event(&ls[i], false, true)) {
						return
					}
				}
				continue
			}
			if err != nil {
				send(LinkEvent{Err: fmt.Errorf("netlinkfam: receive link notifications: %w", err)})
				return
			}
			for _, m := range msgs {
				var deleted bool
				switch m.Header.Type {
				case unix.RTM_NEWLINK:
				case unix.RTM_DELLINK:
					deleted = true
				default:
					continue
				}
				l, err := decodeLink(m.Data)
				if err != nil {
					if !send(LinkEvent{Err: err}) {
						return
					}
					continue
				}
				if !send(s.event(l, deleted, false)) {
					return
				}
			}
		}
	}()
	return ch, nil
}

// drain discards every queued notification without blocking: it reads
// until the kernel answers EAGAIN, which is also when the kernel clears its
// congestion state and starts reporting losses again. (A read deadline would
// not do: Go returns a passed deadline without calling recvmsg.)
func drain(nl *netlink.Conn) error {
	rc, err := nl.SyscallConn()
	if err != nil {
		return err
	}
	buf := make([]byte, 64*1024)
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			_, _, err := unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
			switch {
			case err == nil, errors.Is(err, unix.ENOBUFS), errors.Is(err, unix.EINTR):
			case errors.Is(err, unix.EAGAIN):
				return true
			default:
				rerr = err
				return true
			}
		}
	})
	if err != nil {
		return err
	}
	return rerr
}
