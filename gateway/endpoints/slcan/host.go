package slcan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/can/slcan"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

var errNoAnswer = errors.New("no answer")

// exchange sends cmd (without its '\r') and returns the adapter's reply
// within the command timeout: a line starting with want (V, N, F), or for
// want 0 the empty line of an OK. A BEL is returned with term BEL. Other
// lines go to other when it is not nil (frames received after O), and are
// skipped otherwise (an adapter that was left open).
func (s *ep) exchange(ss *session, cmd string, want byte, other func([]byte)) (reply []byte, term byte, err error) {
	s.mu.Lock()
	s.wbuf = append(append(s.wbuf[:0], cmd...), slcan.CR)
	err = s.writeLocked(ss, s.wbuf)
	s.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	ss.c.SetReadDeadline(time.Now().Add(s.opt.CommandTimeout))
	defer ss.c.SetReadDeadline(time.Time{})
	for {
		line, term, err := s.rd.Next()
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, 0, errNoAnswer
		case err != nil:
			return nil, 0, err
		case term == slcan.BEL:
			return line, term, nil
		case want == 0 && len(line) == 0:
			return line, term, nil
		case want != 0 && len(line) > 0 && line[0] == want:
			return line, term, nil
		case want != 0 && len(line) == 0:
			// An adapter that does not know the command but says OK.
			return line, term, nil
		}
		// A frame, an acknowledgement, a late reply: not ours.
		if other != nil {
			other(line)
		}
	}
}

// openSequence runs the open sequence: C (close, whatever the state), V,
// N, the bit rate (S or s), Z1 when timestamps are on, O or L, and F
// (clear the status; an adapter that answers BEL is not polled). Lines
// that arrive after O (frames) go to other. It reports whether the
// adapter opened, and whether to poll its status.
func (s *ep) openSequence(ss *session, other func([]byte)) (opened, poll bool) {
	// A failed open sequence is counted as a failed handshake (a BEL to
	// the bit rate, O or L) or a handshake timeout (no answer).
	fail := func(cmd string, err error) (bool, bool) {
		reason := endpoint.ConnHandshakeFailed
		if errors.Is(err, errNoAnswer) {
			reason = endpoint.ConnHandshakeTimeout
		}
		s.env.Stats.Rejected.Add(reason)
		s.log.Log(slog.LevelWarn, "open", "adapter did not open; retrying", "transport", s.what, "command", cmd, "err", err)
		return false, false
	}
	refused := func(cmd string) error {
		return fmt.Errorf("adapter refused %s (BEL)", cmd)
	}
	if _, _, err := s.exchange(ss, "C", 0, nil); err != nil {
		return fail("C", err)
	}
	var version, serial string
	if l, t, err := s.exchange(ss, "V", 'V', nil); err == nil && t == slcan.CR && len(l) > 1 {
		version = string(l[1:])
	}
	if l, t, err := s.exchange(ss, "N", 'N', nil); err == nil && t == slcan.CR && len(l) > 1 {
		serial = string(l[1:])
	}
	var bit string
	if s.opt.Bitrate != 0 {
		c, _ := slcan.BitrateCode(s.opt.Bitrate)
		bit = "S" + string(c)
	} else if s.opt.BTR != "" {
		bit = "s" + s.opt.BTR
	}
	if bit != "" {
		_, t, err := s.exchange(ss, bit, 0, nil)
		if err == nil && t == slcan.BEL {
			err = refused(bit)
		}
		if err != nil {
			return fail(bit, err)
		}
	}
	if s.opt.Timestamps {
		_, t, err := s.exchange(ss, "Z1", 0, nil)
		if err == nil && t == slcan.BEL {
			err = refused("Z1")
		}
		if err != nil {
			s.log.Log(slog.LevelWarn, "open", "adapter does not turn timestamps on; continuing without", "transport", s.what, "err", err)
		}
	}
	open := "O"
	if s.opt.ListenOnly {
		open = "L"
	}
	_, t, err := s.exchange(ss, open, 0, nil)
	if err == nil && t == slcan.BEL {
		err = refused(open)
	}
	if err != nil {
		return fail(open, err)
	}
	poll = s.opt.StatusInterval > 0
	if l, t, err := s.exchange(ss, "F", 'F', other); err == nil && t == slcan.CR && len(l) == 3 {
		if flags, err := slcan.ParseStatus(l); err == nil && flags != 0 {
			s.log.Log(slog.LevelInfo, "status", "adapter status flags before opening (cleared)", "transport", s.what, "flags", fmt.Sprintf("%02X", flags))
		}
	} else {
		if poll {
			s.log.Log(slog.LevelInfo, "open", "adapter does not report status flags (F); not polling them", "transport", s.what)
		}
		poll = false
	}
	s.log.Log(slog.LevelInfo, "open", "adapter open", "transport", s.what, "version", version, "serial", serial, "bitrate", bit, "listen_only", s.opt.ListenOnly)
	return true, poll
}

// host drives the adapter on ss: the open sequence, then frames both ways
// and status polls until the connection ends (the adapter vanished).
func (s *ep) host(ctx context.Context, ss *session, deliver func([]frame.Frame)) bool {
	batch := s.batch()
	k := 0
	handle := func(line []byte, term byte) {
		s.hostLine(line, term, batch, &k)
		if k == len(batch) {
			deliver(batch[:k])
			k = 0
		}
	}
	opened, poll := s.openSequence(ss, func(line []byte) { handle(line, slcan.CR) })
	if !opened {
		if k > 0 {
			deliver(batch[:k])
		}
		return false
	}
	s.mu.Lock()
	ss.open = true
	s.mu.Unlock()
	s.env.Stats.Peers.Add(1)
	s.env.Stats.Connects.Add(1)
	defer s.env.Stats.Peers.Add(-1)
	var wg sync.WaitGroup
	done := make(chan struct{})
	defer func() { close(done); wg.Wait() }()
	if poll {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(s.opt.StatusInterval)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
				}
				s.mu.Lock()
				err := s.writeLocked(ss, []byte("F\r"))
				s.mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	for {
		if k > 0 && !s.rd.Buffered() {
			deliver(batch[:k])
			k = 0
		}
		line, term, err := s.rd.Next()
		if err != nil {
			if k > 0 {
				deliver(batch[:k])
			}
			if errors.Is(err, slcan.ErrLineTooLong) {
				s.oversize()
			} else if ctx.Err() == nil {
				s.log.Log(slog.LevelWarn, "gone", "adapter connection ended; reopening", "transport", s.what, "err", err)
			}
			return true
		}
		handle(line, term)
	}
}

// hostLine takes one line from the adapter: a frame (into batch[*k]), a
// reply, a status or state report (an error frame into batch[*k]).
func (s *ep) hostLine(line []byte, term byte, batch []frame.Frame, k *int) {
	if term == slcan.BEL {
		s.env.Drop(endpoint.ReasonWriteError, 1)
		s.log.Log(slog.LevelWarn, "bell", "adapter answered BEL (error): a frame or command it refused", "transport", s.what)
		return
	}
	if len(line) == 0 {
		return // OK
	}
	switch c := line[0]; {
	case slcan.IsFrame(c):
		if _, err := slcan.ParseFrame(line, &s.rf); err != nil {
			s.malformed(line, err)
			return
		}
		fd := s.rf.IsFD()
		if fd && !s.opt.FD {
			s.env.Drop(endpoint.ReasonUnsupported, 1)
			s.log.Log(slog.LevelWarn, "fd", "adapter sent a CAN FD frame; set fd: true to carry them", "transport", s.what)
			return
		}
		f := &batch[*k]
		frame.FromCAN(f, &s.rf, fd)
		f.Time = 0
		*k++
	case (c == 'z' || c == 'Z') && len(line) == 1:
		// A transmit acknowledgement.
	case c == 'F':
		flags, err := slcan.ParseStatus(line)
		if err != nil {
			s.malformed(line, err)
			return
		}
		if flags == 0 {
			return
		}
		s.env.Stats.ErrorFrames.Add(1)
		s.log.Log(slog.LevelWarn, "status", "adapter reports errors", "transport", s.what, "flags", fmt.Sprintf("%02X", flags), "meaning", statusText(flags))
		if s.opt.ErrorFrames {
			statusFrame(&batch[*k], flags)
			*k++
		}
	case c == 's':
		st, rx, tx, err := slcan.ParseState(line)
		if err != nil {
			s.malformed(line, err)
			return
		}
		level := slog.LevelInfo
		if st != slcan.StateActive {
			level = slog.LevelWarn
		}
		s.env.Stats.ErrorFrames.Add(1)
		s.log.Log(level, "state", "adapter state", "transport", s.what, "state", st.String(), "rx_errors", rx, "tx_errors", tx)
		if s.opt.ErrorFrames {
			stateFrame(&batch[*k], st, rx, tx)
			*k++
		}
	case (c == 'V' || c == 'N') && len(line) == 5:
		// A late version or serial number reply.
	default:
		s.malformed(line, errors.New("not an SLCAN frame, status or reply"))
	}
}

// statusText names the F flags.
func statusText(f uint8) string {
	names := []string{"rx-fifo-full", "tx-fifo-full", "error-warning", "data-overrun", "bit4", "error-passive", "arbitration-lost", "bus-error"}
	out := ""
	for i, n := range names {
		if f&(1<<i) != 0 {
			if out != "" {
				out += ","
			}
			out += n
		}
	}
	return out
}

func errFrame(f *frame.Frame, class can.ErrClass) {
	f.Type, f.ID, f.Flags, f.Addr, f.Len, f.Time = frame.CAN, frame.CANERRFlag|uint32(class), 0, 0, 8, 0
	clear(f.Data[:8])
}

// statusFrame makes f the CAN error frame of status flags.
func statusFrame(f *frame.Frame, flags uint8) {
	var class can.ErrClass
	var ctrl can.CtrlStatus
	if flags&(slcan.StatusRxFIFOFull|slcan.StatusDataOverrun) != 0 {
		ctrl |= can.CtrlRxOverflow
	}
	if flags&slcan.StatusTxFIFOFull != 0 {
		ctrl |= can.CtrlTxOverflow
	}
	if flags&slcan.StatusErrWarning != 0 {
		ctrl |= can.CtrlRxWarning | can.CtrlTxWarning
	}
	if flags&slcan.StatusErrPassive != 0 {
		ctrl |= can.CtrlRxPassive | can.CtrlTxPassive
	}
	if ctrl != 0 {
		class |= can.ErrCtrl
	}
	if flags&slcan.StatusArbLost != 0 {
		class |= can.ErrLostArb
	}
	if flags&slcan.StatusBusError != 0 {
		class |= can.ErrBusError
	}
	errFrame(f, class)
	f.Data[1] = byte(ctrl)
}

// stateFrame makes f the CAN error frame of a state report, with the
// error counters (CAN_ERR_CNT).
func stateFrame(f *frame.Frame, st slcan.State, rx, tx int) {
	class := can.ErrCnt
	var ctrl can.CtrlStatus
	switch st {
	case slcan.StateBusOff:
		class |= can.ErrBusOff
	case slcan.StatePassive:
		class |= can.ErrCtrl
		ctrl = can.CtrlRxPassive | can.CtrlTxPassive
	case slcan.StateWarning:
		class |= can.ErrCtrl
		ctrl = can.CtrlRxWarning | can.CtrlTxWarning
	case slcan.StateActive:
		class |= can.ErrCtrl
		ctrl = can.CtrlActive
	}
	errFrame(f, class)
	f.Data[1] = byte(ctrl)
	f.Data[6] = byte(min(tx, 255))
	f.Data[7] = byte(min(rx, 255))
}
