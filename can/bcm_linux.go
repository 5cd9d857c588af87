//go:build linux

package can

import (
	"context"
	"fmt"
	"time"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

// BCMConn is a broadcast manager socket (CAN_BCM) connected to one
// interface: the kernel sends cyclic frames and filters received ones by
// content, reporting changes and timeouts.
type BCMConn struct {
	s   *sock
	buf []byte
}

// DialBCM opens a BCM socket connected to iface.
func DialBCM(iface string) (*BCMConn, error) {
	idx, err := ifindex(iface)
	if err != nil {
		return nil, err
	}
	s, err := openSock(unix.SOCK_DGRAM, unix.CAN_BCM, "can-bcm")
	if err != nil {
		return nil, err
	}
	s.iface = iface
	if err := s.s.Connect(&core.CANAddr{Interface: iface, Index: idx}); err != nil {
		s.close()
		return nil, s.wrap("connect", err)
	}
	return &BCMConn{s: s, buf: make([]byte, BCMHeadSize+BCMMaxFrames*FDMTU)}, nil
}

// WriteMsg sends one BCM message (any opcode).
func (c *BCMConn) WriteMsg(ctx context.Context, m *BCMMsg) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	n, err := c.s.s.SendContext(ctx, b, 0)
	if err != nil {
		return c.s.wrap("write "+m.Opcode.String(), err)
	}
	if n != len(b) {
		return fmt.Errorf("can: BCM %s: wrote %d of %d bytes", m.Opcode, n, len(b))
	}
	return nil
}

// ReadMsg receives one BCM notification (RxChanged, RxTimeout, TxExpired,
// TxStatus, RxStatus).
func (c *BCMConn) ReadMsg(ctx context.Context) (*BCMMsg, error) {
	n, err := c.s.s.RecvIntoContext(ctx, c.buf, 0)
	if err != nil {
		return nil, c.s.wrap("read", err)
	}
	m := new(BCMMsg)
	if err := m.UnmarshalBinary(c.buf[:n]); err != nil {
		return nil, err
	}
	return m, nil
}

func fdFlag(fs []FDFrame) BCMFlags {
	for i := range fs {
		if fs[i].IsFD() {
			return BCMCANFDFrame
		}
	}
	return 0
}

// TxSetup starts (or updates) a cyclic transmission of frames under the
// task id: count frames every ival1, then every ival2 forever (count 0:
// only ival2). Several frames are sent in turn. extra adds flags such as
// BCMTxCountEvt or BCMTxAnnounce.
func (c *BCMConn) TxSetup(ctx context.Context, id uint32, count uint32, ival1, ival2 time.Duration, extra BCMFlags, frames ...FDFrame) error {
	return c.WriteMsg(ctx, &BCMMsg{Opcode: TxSetup, Flags: BCMSetTimer | BCMStartTimer | extra | fdFlag(frames),
		Count: count, Ival1: ival1, Ival2: ival2, ID: id, Frames: frames})
}

// TxSend sends one frame right away.
func (c *BCMConn) TxSend(ctx context.Context, f FDFrame) error {
	return c.WriteMsg(ctx, &BCMMsg{Opcode: TxSend, Flags: fdFlag([]FDFrame{f}), ID: f.CANID(), Frames: []FDFrame{f}})
}

// TxDelete removes the transmission task id (fd: the task sends CAN FD frames).
func (c *BCMConn) TxDelete(ctx context.Context, id uint32, fd bool) error {
	m := &BCMMsg{Opcode: TxDelete, ID: id}
	if fd {
		m.Flags = BCMCANFDFrame
	}
	return c.WriteMsg(ctx, m)
}

// TxRead asks for the transmission task id; the kernel answers with a
// TxStatus message read by ReadMsg.
func (c *BCMConn) TxRead(ctx context.Context, id uint32, fd bool) error {
	m := &BCMMsg{Opcode: TxRead, ID: id}
	if fd {
		m.Flags = BCMCANFDFrame
	}
	return c.WriteMsg(ctx, m)
}

// RxSetup installs a receive filter task for id. With no masks it filters
// by ID only (BCMRxFilterID): every frame is reported as RxChanged. With
// one mask frame only changes in the masked bits are reported; with
// several, the first is the multiplex mask and the others the content
// masks per multiplex value. timeout (0 = none) reports RxTimeout when the
// frame stops arriving; throttle (0 = none) limits RxChanged to one per
// interval.
func (c *BCMConn) RxSetup(ctx context.Context, id uint32, timeout, throttle time.Duration, extra BCMFlags, masks ...FDFrame) error {
	fl := BCMSetTimer | extra | fdFlag(masks)
	if len(masks) == 0 {
		fl |= BCMRxFilterID
	}
	return c.WriteMsg(ctx, &BCMMsg{Opcode: RxSetup, Flags: fl, Ival1: timeout, Ival2: throttle, ID: id, Frames: masks})
}

// RxDelete removes the receive filter task id.
func (c *BCMConn) RxDelete(ctx context.Context, id uint32, fd bool) error {
	m := &BCMMsg{Opcode: RxDelete, ID: id}
	if fd {
		m.Flags = BCMCANFDFrame
	}
	return c.WriteMsg(ctx, m)
}

// RxRead asks for the receive filter task id; the kernel answers with an
// RxStatus message read by ReadMsg.
func (c *BCMConn) RxRead(ctx context.Context, id uint32, fd bool) error {
	m := &BCMMsg{Opcode: RxRead, ID: id}
	if fd {
		m.Flags = BCMCANFDFrame
	}
	return c.WriteMsg(ctx, m)
}

// Close closes the socket; the kernel removes all its tasks.
func (c *BCMConn) Close() error { return c.s.close() }
