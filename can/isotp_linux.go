//go:build linux

package can

import (
	"context"
	"fmt"
	"io"

	"github.com/fieldgate/fieldgate/core"
	"golang.org/x/sys/unix"
)

const (
	canISOTPOpts    = 1
	canISOTPRecvFC  = 2
	canISOTPTxSTmin = 3
	canISOTPRxSTmin = 4
	canISOTPLLOpts  = 5
)

// ISOTPConn is an ISO 15765-2 (ISO-TP) socket: the kernel segments and
// reassembles PDUs of up to 4095 bytes (more with CAN FD on newer kernels).
// Each Read returns one PDU, each Write sends one.
type ISOTPConn struct {
	s      *sock
	rx, tx uint32
}

var _ io.ReadWriteCloser = (*ISOTPConn)(nil)

// DialISOTP opens an ISO-TP socket on iface that receives PDUs sent to the
// CAN identifier rx and sends to tx (raw can_id values: set EFFFlag for
// 29-bit identifiers). cfg nil keeps the kernel defaults.
func DialISOTP(iface string, rx, tx uint32, cfg *ISOTPConfig) (*ISOTPConn, error) {
	if iface == "" {
		return nil, fmt.Errorf("can: ISO-TP needs an interface")
	}
	idx, err := ifindex(iface)
	if err != nil {
		return nil, err
	}
	for _, id := range []struct {
		v    uint32
		name string
	}{{rx, "rx"}, {tx, "tx"}} {
		if id.v&EFFFlag == 0 && id.v > SFFMask || id.v&(RTRFlag|ErrFlag) != 0 {
			return nil, fmt.Errorf("can: ISO-TP %s id %#x: want 11-bit, or 29-bit with EFFFlag (0x80000000)", id.name, id.v)
		}
	}
	if cfg != nil {
		if err := cfg.validate(); err != nil {
			return nil, err
		}
	}
	s, err := openSock(unix.SOCK_DGRAM, unix.CAN_ISOTP, "can-isotp")
	if err != nil {
		return nil, err
	}
	s.iface = iface
	c := &ISOTPConn{s: s, rx: rx, tx: tx}
	if cfg != nil {
		if err := c.configure(cfg); err != nil {
			s.close()
			return nil, err
		}
	}
	if err := s.wrap("bind", s.s.Bind(&core.ISOTPAddr{Interface: iface, Index: idx, RxID: rx, TxID: tx})); err != nil {
		s.close()
		return nil, err
	}
	return c, nil
}

func (c *ISOTPConn) configure(cfg *ISOTPConfig) error {
	opts, err := cfg.optsBytes()
	if err != nil {
		return err
	}
	if err := c.s.setBytes(solCANISOTP, canISOTPOpts, opts, "CAN_ISOTP_OPTS"); err != nil {
		return err
	}
	if fc := cfg.FlowControl; fc != nil {
		if err := c.s.setBytes(solCANISOTP, canISOTPRecvFC, []byte{fc.BlockSize, fc.STmin, fc.WFTmax}, "CAN_ISOTP_RECV_FC"); err != nil {
			return err
		}
	}
	if cfg.TxSTmin != 0 {
		if err := c.s.setBytes(solCANISOTP, canISOTPTxSTmin, u32(uint32(cfg.TxSTmin.Nanoseconds())), "CAN_ISOTP_TX_STMIN"); err != nil {
			return err
		}
	}
	if cfg.RxSTmin != 0 {
		if err := c.s.setBytes(solCANISOTP, canISOTPRxSTmin, u32(uint32(cfg.RxSTmin.Nanoseconds())), "CAN_ISOTP_RX_STMIN"); err != nil {
			return err
		}
	}
	if ll := cfg.LinkLayer; ll != nil {
		if err := c.s.setBytes(solCANISOTP, canISOTPLLOpts, []byte{ll.MTU, ll.TxDL, uint8(ll.TxFlags)}, "CAN_ISOTP_LL_OPTS"); err != nil {
			return err
		}
	}
	return nil
}

// Options reads CAN_ISOTP_OPTS back: flags, frame_txtime (ns), ext_address,
// txpad, rxpad, rx_ext_address.
func (c *ISOTPConn) Options() (flags ISOTPFlags, frameTxTimeNS uint32, ext, txpad, rxpad, rxext uint8, err error) {
	b, err := c.s.getBytes(solCANISOTP, canISOTPOpts, 12, "CAN_ISOTP_OPTS")
	if err != nil {
		return
	}
	if len(b) != 12 {
		err = fmt.Errorf("can: CAN_ISOTP_OPTS returned %d bytes, want 12", len(b))
		return
	}
	return ISOTPFlags(ne32(b[0:4])), ne32(b[4:8]), b[8], b[9], b[10], b[11], nil
}

// FlowControl reads CAN_ISOTP_RECV_FC back.
func (c *ISOTPConn) FlowControl() (ISOTPFlowControl, error) {
	b, err := c.s.getBytes(solCANISOTP, canISOTPRecvFC, 3, "CAN_ISOTP_RECV_FC")
	if err != nil {
		return ISOTPFlowControl{}, err
	}
	if len(b) != 3 {
		return ISOTPFlowControl{}, fmt.Errorf("can: CAN_ISOTP_RECV_FC returned %d bytes, want 3", len(b))
	}
	return ISOTPFlowControl{BlockSize: b[0], STmin: b[1], WFTmax: b[2]}, nil
}

// LinkLayer reads CAN_ISOTP_LL_OPTS back.
func (c *ISOTPConn) LinkLayer() (ISOTPLinkLayer, error) {
	b, err := c.s.getBytes(solCANISOTP, canISOTPLLOpts, 3, "CAN_ISOTP_LL_OPTS")
	if err != nil {
		return ISOTPLinkLayer{}, err
	}
	if len(b) != 3 {
		return ISOTPLinkLayer{}, fmt.Errorf("can: CAN_ISOTP_LL_OPTS returned %d bytes, want 3", len(b))
	}
	return ISOTPLinkLayer{MTU: b[0], TxDL: b[1], TxFlags: FDFlags(b[2])}, nil
}

// LocalAddr returns the bound interface index and rx/tx identifiers as the
// kernel reports them (getsockname).
func (c *ISOTPConn) LocalAddr() (ifindex int, rx, tx uint32, err error) {
	sa, err := c.s.s.SockName()
	if err != nil {
		return 0, 0, 0, c.s.wrap("getsockname", err)
	}
	a, ok := sa.(*core.ISOTPAddr)
	if !ok {
		return 0, 0, 0, fmt.Errorf("can: getsockname returned %T", sa)
	}
	return a.Index, a.RxID, a.TxID, nil
}

// ReadPDU receives one PDU into b. A PDU longer than b is an error
// (io.ErrShortBuffer), never silently cut. Size b for the largest PDU
// expected (MaxISOTPPDU for classic CAN).
func (c *ISOTPConn) ReadPDU(ctx context.Context, b []byte) (int, error) {
	// With MSG_TRUNC the kernel returns the PDU's full length.
	n, err := c.s.s.RecvIntoContext(ctx, b, unix.MSG_TRUNC)
	if err != nil {
		return 0, c.s.wrap("recv", err)
	}
	if n > len(b) {
		return min(n, len(b)), fmt.Errorf("can: ISO-TP %s: %d-byte PDU does not fit a %d-byte buffer: %w", c.s.iface, n, len(b), io.ErrShortBuffer)
	}
	return n, nil
}

// WritePDU sends b as one PDU.
func (c *ISOTPConn) WritePDU(ctx context.Context, b []byte) error {
	n, err := c.s.s.SendContext(ctx, b, 0)
	if err != nil {
		return c.s.wrap("write", err)
	}
	if n != len(b) {
		return fmt.Errorf("can: ISO-TP %s: wrote %d of %d bytes: %w", c.s.iface, n, len(b), io.ErrShortWrite)
	}
	return nil
}

// Read is ReadPDU without a context (io.Reader).
func (c *ISOTPConn) Read(b []byte) (int, error) { return c.ReadPDU(context.Background(), b) }

// Write is WritePDU without a context (io.Writer).
func (c *ISOTPConn) Write(b []byte) (int, error) {
	if err := c.WritePDU(context.Background(), b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close closes the socket.
func (c *ISOTPConn) Close() error { return c.s.close() }
