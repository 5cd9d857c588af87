package socketcand

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/internal/ifstate"
	proto "github.com/fieldgate/fieldgate/gateway/socketcand"
)

// The socketcand modes that need a kernel socket per client: ISO-TP mode
// (a CAN_ISOTP socket per client channel) and muxfilter (a CAN_BCM socket
// per client). Both run on the endpoint's interface option and only as far
// as the routes allow (endpoint.Env.BusAccess).

// pduConn is a client's ISO-TP channel (can.ISOTPConn on Linux).
// ReadPDU also returns when the kernel received the PDU.
type pduConn interface {
	ReadPDU(ctx context.Context, b []byte) (int, time.Time, error)
	WritePDU(ctx context.Context, b []byte) error
	Close() error
}

// bcmConn is a client's BCM socket for muxfilter. Read sets the frame's
// Time to the kernel's receive time.
type bcmConn interface {
	MuxFilter(ctx context.Context, id uint32, throttle time.Duration, frames [][8]byte) error
	Delete(ctx context.Context, id uint32) error
	Read(ctx context.Context, f *frame.Frame) error
	Close() error
}

// pduWriteTimeout bounds one sendpdu: the kernel accepts a PDU once the
// previous transfer of the channel is done (or timed out after 1 s).
const pduWriteTimeout = 5 * time.Second

// sayError replies "< error TEXT >". Angle brackets in TEXT (which may
// quote client input) are replaced so the reply stays one message.
func (cl *client) sayError(format string, a ...any) {
	msg := strings.NewReplacer("<", "(", ">", ")").Replace(fmt.Sprintf(format, a...))
	cl.say("< error " + msg + " >")
}

func fmtCANID(id uint32) string {
	if id&frame.CANEFFFlag != 0 {
		return fmt.Sprintf("%08X", id&0x1FFFFFFF)
	}
	return fmt.Sprintf("%03X", id)
}

func (cl *client) allowed(id uint32, write bool) bool {
	e := cl.s.env
	return e.BusAccess != nil && e.BusAccess(cl.s.cfg.Interface, id, write)
}

// isotpConf handles "< isotpconf ... >": validate every field, check the
// routes, open the client's channel (replacing an earlier one). Success has
// no reply, as in socketcand; every failure is "< error ... >" and counted.
func (cl *client) isotpConf(ctx context.Context, c *proto.Command) {
	conf, err := proto.ParseISOTPConf(c.Args)
	if err != nil {
		cl.s.env.Drop(endpoint.ReasonMalformed, 1)
		cl.sayError("%v", err)
		return
	}
	iface := cl.s.cfg.Interface
	if !cl.allowed(conf.TxID, true) {
		cl.s.env.Drop(endpoint.ReasonNotAllowed, 1)
		cl.s.log.Log(slog.LevelWarn, cl.key, "socketcand isotpconf refused: tx_id not allowed", "peer", cl.addr, "tx_id", fmtCANID(conf.TxID))
		cl.sayError("isotpconf: tx_id %s may not be written to %s (no route allows it)", fmtCANID(conf.TxID), iface)
		return
	}
	if !cl.allowed(conf.RxID, false) {
		cl.s.env.Drop(endpoint.ReasonNotAllowed, 1)
		cl.s.log.Log(slog.LevelWarn, cl.key, "socketcand isotpconf refused: rx_id not routed", "peer", cl.addr, "rx_id", fmtCANID(conf.RxID))
		cl.sayError("isotpconf: rx_id %s of %s is not routed to this endpoint", fmtCANID(conf.RxID), iface)
		return
	}
	cl.closeISOTP()
	pc, err := dialISOTP(iface, &conf)
	if err != nil {
		cl.s.log.Log(slog.LevelWarn, cl.key, "socketcand isotpconf: cannot open the ISO-TP socket", "peer", cl.addr, "err", err)
		cl.sayError("isotpconf: %v", err)
		return
	}
	ch := &channel{conn: pc, txID: conf.TxID, done: make(chan struct{})}
	cctx, cancel := context.WithCancel(ctx)
	ch.cancel = cancel
	cl.mu.Lock()
	if cl.closed || cl.mode != modeISOTP {
		cl.mu.Unlock()
		cancel()
		pc.Close()
		return
	}
	cl.isotp = ch
	cl.mu.Unlock()
	go cl.readPDUs(cctx, ch)
}

// channel is a client's open ISO-TP channel.
type channel struct {
	conn   pduConn
	txID   uint32
	cancel context.CancelFunc
	done   chan struct{}
	buf    [proto.MaxPDU]byte
}

// closeISOTP closes the client's channel, if any, and waits for its reader.
func (cl *client) closeISOTP() {
	cl.mu.Lock()
	ch := cl.isotp
	cl.isotp = nil
	cl.mu.Unlock()
	if ch != nil {
		ch.cancel()
		ch.conn.Close()
		<-ch.done
	}
}

// readPDUs sends every PDU the channel receives as "< pdu SEC.USEC HEX >".
func (cl *client) readPDUs(ctx context.Context, ch *channel) {
	defer close(ch.done)
	buf := make([]byte, proto.MaxPDU)
	for {
		n, stamp, err := ch.conn.ReadPDU(ctx, buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			switch {
			case isotpTransferError(err):
				// One transfer failed (no flow control, bad sequence,
				// timeout): that PDU is lost, the channel goes on.
				cl.s.env.Drop(endpoint.ReasonMalformed, 1)
				cl.s.env.Log.Debug("socketcand ISO-TP transfer error", "peer", cl.addr, "err", err)
			case ifstate.LinkDown(err):
				cl.s.env.Drop(endpoint.ReasonLinkDown, 1)
				time.Sleep(100 * time.Millisecond)
			default:
				cl.s.log.Log(slog.LevelWarn, cl.key, "socketcand ISO-TP channel failed", "peer", cl.addr, "err", err)
				cl.sayError("isotp channel: %v", err)
				return
			}
			continue
		}
		cl.mu.Lock()
		if cl.closed || cl.isotp != ch {
			cl.mu.Unlock()
			return
		}
		if len(cl.out) > maxClientBacklog {
			cl.mu.Unlock()
			cl.s.env.Drop(endpoint.ReasonQueueOverflow, 1)
			continue
		}
		cl.out = proto.AppendPDU(cl.out, stamp.Unix(), int64(stamp.Nanosecond()/1000), buf[:n])
		cl.mu.Unlock()
		cl.rp.Add(1)
		cl.rb.Add(uint64(n))
		signal(cl.wake)
	}
}

// sendPDU handles "< sendpdu HEX >".
func (cl *client) sendPDU(ctx context.Context, c *proto.Command) {
	cl.mu.Lock()
	ch := cl.isotp
	cl.mu.Unlock()
	if ch == nil {
		cl.s.env.Drop(endpoint.ReasonMalformed, 1)
		cl.sayError("sendpdu: no ISO-TP channel, send isotpconf first")
		return
	}
	n, err := proto.ParseSendPDU(c.Args, ch.buf[:])
	if err != nil {
		cl.s.env.Drop(endpoint.ReasonMalformed, 1)
		cl.sayError("%v", err)
		return
	}
	// Checked again for every PDU: a reload may have removed the route.
	if !cl.allowed(ch.txID, true) {
		cl.s.env.Drop(endpoint.ReasonNotAllowed, 1)
		cl.sayError("sendpdu: tx_id %s may not be written to %s (no route allows it)", fmtCANID(ch.txID), cl.s.cfg.Interface)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, pduWriteTimeout)
	err = ch.conn.WritePDU(wctx, ch.buf[:n])
	cancel()
	if err != nil {
		r := endpoint.ReasonWriteError
		if ifstate.LinkDown(err) {
			r = endpoint.ReasonLinkDown
		}
		cl.s.env.Drop(r, 1)
		cl.sayError("sendpdu: %v", err)
		return
	}
	cl.tp.Add(1)
	cl.tb.Add(uint64(n))
}

// muxFilter handles "< muxfilter secs usecs can_id nframes data... >" with
// a kernel BCM RX_SETUP on the client's own BCM socket.
func (cl *client) muxFilter(ctx context.Context, c *proto.Command) {
	if cl.s.cfg.Interface == "" {
		cl.sayError("muxfilter needs the endpoint's interface option")
		return
	}
	m, err := proto.ParseMuxFilter(c.Args, nil)
	if err != nil {
		cl.s.env.Drop(endpoint.ReasonMalformed, 1)
		cl.sayError("%v", err)
		return
	}
	if !cl.allowed(m.ID, false) {
		cl.s.env.Drop(endpoint.ReasonNotAllowed, 1)
		cl.sayError("muxfilter: can id %s of %s is not routed to this endpoint", fmtCANID(m.ID), cl.s.cfg.Interface)
		return
	}
	cl.mu.Lock()
	b := cl.bcm
	cl.mu.Unlock()
	if b == nil {
		nb, err := dialBCM(cl.s.cfg.Interface)
		if err != nil {
			cl.sayError("muxfilter: %v", err)
			return
		}
		cctx, cancel := context.WithCancel(ctx)
		b = &bcmSock{conn: nb, cancel: cancel, done: make(chan struct{}), ids: map[uint32]bool{}}
		cl.mu.Lock()
		if cl.closed || cl.mode != modeBCM {
			cl.mu.Unlock()
			cancel()
			nb.Close()
			return
		}
		cl.bcm = b
		cl.mu.Unlock()
		go cl.readBCM(cctx, b)
	}
	throttle := time.Duration(m.Sec)*time.Second + time.Duration(m.Usec)*time.Microsecond
	if err := b.conn.MuxFilter(ctx, m.ID, throttle, m.Frames); err != nil {
		cl.sayError("muxfilter: %v", err)
		return
	}
	cl.mu.Lock()
	b.ids[m.ID] = true
	cl.mu.Unlock()
}

// bcmSock is a client's open BCM socket.
type bcmSock struct {
	conn   bcmConn
	cancel context.CancelFunc
	done   chan struct{}
	ids    map[uint32]bool // muxfilter tasks, guarded by client.mu
}

// unsubscribeMux removes a muxfilter task for id, if there is one.
func (cl *client) unsubscribeMux(ctx context.Context, id uint32) {
	cl.mu.Lock()
	b := cl.bcm
	has := b != nil && b.ids[id]
	if has {
		delete(b.ids, id)
	}
	cl.mu.Unlock()
	if has {
		b.conn.Delete(ctx, id)
	}
}

// closeBCM closes the client's BCM socket (the kernel drops its tasks).
func (cl *client) closeBCM() {
	cl.mu.Lock()
	b := cl.bcm
	cl.bcm = nil
	cl.mu.Unlock()
	if b != nil {
		b.cancel()
		b.conn.Close()
		<-b.done
	}
}

// readBCM sends the frames the kernel reports as changed.
func (cl *client) readBCM(ctx context.Context, b *bcmSock) {
	defer close(b.done)
	var f frame.Frame
	for {
		if err := b.conn.Read(ctx, &f); err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			if ifstate.LinkDown(err) {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			cl.s.log.Log(slog.LevelWarn, cl.key, "socketcand BCM socket failed", "peer", cl.addr, "err", err)
			return
		}
		cl.mu.Lock()
		if cl.closed || cl.bcm != b {
			cl.mu.Unlock()
			return
		}
		if len(cl.out) > maxClientBacklog {
			cl.mu.Unlock()
			cl.s.env.Drop(endpoint.ReasonQueueOverflow, 1)
			continue
		}
		start := len(cl.out)
		cl.out = proto.AppendBCMFrame(cl.out, f.ID, f.Time/1e9, (f.Time%1e9)/1e3, f.Data[:f.Len])
		if cl.s.aligned {
			cl.out = proto.AlignRecord(cl.out, start)
		}
		cl.mu.Unlock()
		cl.rp.Add(1)
		cl.rb.Add(uint64(f.Len))
		signal(cl.wake)
	}
}
