//go:build linux

package socketcand

import (
	"context"
	"errors"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/frame"
	proto "github.com/fieldgate/fieldgate/gateway/socketcand"
	"golang.org/x/sys/unix"
)

// dialISOTP opens a client's ISO-TP channel as socketcand does: the
// CAN_ISOTP_OPTS flags and padding/extended address bytes from isotpconf,
// and always CAN_ISOTP_RECV_FC with blocksize, stmin and wftmax.
func dialISOTP(iface string, c *proto.ISOTPConf) (pduConn, error) {
	ic := &can.ISOTPConfig{Flags: can.ISOTPFlags(c.Flags),
		FlowControl: &can.ISOTPFlowControl{BlockSize: c.BlockSize, STmin: c.STmin, WFTmax: c.WFTmax}}
	if c.Flags&proto.ISOTPExtendAddr != 0 {
		ic.ExtAddr = &c.ExtAddr
	}
	if c.Flags&proto.ISOTPTxPadding != 0 {
		ic.TxPad = &c.TxPad
	}
	if c.Flags&proto.ISOTPRxPadding != 0 {
		ic.RxPad = &c.RxPad
	}
	if c.Flags&proto.ISOTPRxExtAddr != 0 {
		ic.RxExtAddr = &c.RxExtAddr
	}
	ch, err := can.DialISOTP(iface, c.RxID, c.TxID, ic)
	if err != nil {
		return nil, err
	}
	ch.Timestamp() // switches receive timestamps on (ENOENT now)
	return isotpChan{ch}, nil
}

// isotpChan adds the kernel's receive time to each PDU read.
type isotpChan struct{ *can.ISOTPConn }

func (c isotpChan) ReadPDU(ctx context.Context, b []byte) (int, time.Time, error) {
	n, err := c.ISOTPConn.ReadPDU(ctx, b)
	if err != nil {
		return n, time.Time{}, err
	}
	ts, err := c.Timestamp()
	if err != nil {
		ts = time.Now()
	}
	return n, ts, nil
}

// isotpTransferError reports errors of one ISO-TP transfer (a missing flow
// control, a wrong sequence number, a timeout): the PDU is lost, the
// channel stays usable.
func isotpTransferError(err error) bool {
	return errors.Is(err, unix.ECOMM) || errors.Is(err, unix.EILSEQ) || errors.Is(err, unix.ETIMEDOUT) ||
		errors.Is(err, unix.EBADMSG) || errors.Is(err, unix.EMSGSIZE) || errors.Is(err, unix.EOVERFLOW)
}

// bcmMux is a client's kernel BCM socket for muxfilter.
type bcmMux struct{ c *can.BCMConn }

func dialBCM(iface string) (bcmConn, error) {
	c, err := can.DialBCM(iface)
	if err != nil {
		return nil, err
	}
	c.Timestamp() // switches receive timestamps on (ENOENT now)
	return &bcmMux{c: c}, nil
}

// MuxFilter installs RX_SETUP with SETTIMER and the mux mask and filters
// as frames, exactly socketcand's message (no RX_FILTER_ID: the frames are
// the content filter).
func (b *bcmMux) MuxFilter(ctx context.Context, id uint32, throttle time.Duration, frames [][8]byte) error {
	masks := make([]can.FDFrame, len(frames))
	for i := range frames {
		masks[i].SetCANID(id)
		masks[i].Len = 8
		copy(masks[i].Data[:8], frames[i][:])
	}
	return b.c.RxSetup(ctx, id, 0, throttle, 0, masks...)
}

func (b *bcmMux) Delete(ctx context.Context, id uint32) error { return b.c.RxDelete(ctx, id, false) }

// Read returns the next changed frame (RX_CHANGED); other notifications
// are skipped.
func (b *bcmMux) Read(ctx context.Context, f *frame.Frame) error {
	for {
		m, err := b.c.ReadMsg(ctx)
		if err != nil {
			return err
		}
		if m.Opcode != can.RxChanged || len(m.Frames) == 0 {
			continue
		}
		k := &m.Frames[0]
		f.ID, f.Type, f.Len, f.Flags = k.CANID(), frame.CAN, uint16(min(k.Len, 8)), 0
		copy(f.Data[:8], k.Data[:8])
		ts, err := b.c.Timestamp()
		if err != nil {
			ts = time.Now()
		}
		f.Time = ts.UnixNano()
		return nil
	}
}

func (b *bcmMux) Close() error { return b.c.Close() }
