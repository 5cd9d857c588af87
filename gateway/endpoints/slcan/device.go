package slcan

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"github.com/fieldgate/fieldgate/can/slcan"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// What fieldgate answers to V and N as a device: hardware 1.0, software
// 1.3 (as a CANUSB), serial "FG01".
const (
	deviceVersion = "V1013"
	deviceSerial  = "NFG01"
)

// device plays an adapter on ss until the connection ends: it answers the
// Lawicel commands as a CANUSB does ('\r' OK, '\a' error, z/Z for each
// frame sent), passes the frames the peer sends to the gateway once it
// has opened the channel, and Send writes the gateway's frames to it.
func (s *ep) device(ctx context.Context, ss *session, deliver func([]frame.Frame)) bool {
	s.env.Stats.Peers.Add(1)
	s.env.Stats.Connects.Add(1)
	defer s.env.Stats.Peers.Add(-1)
	if ra, ok := ss.c.(interface{ RemoteAddr() net.Addr }); ok {
		s.log.Log(slog.LevelInfo, "session", "peer connected", "transport", s.what, "peer", ra.RemoteAddr().String())
		defer s.log.Log(slog.LevelInfo, "session", "peer disconnected", "transport", s.what, "peer", ra.RemoteAddr().String())
	} else {
		s.log.Log(slog.LevelDebug, "session", "serving the SLCAN peer", "transport", s.what)
	}
	batch := s.batch()
	k := 0
	reply := s.rbuf[:0]
	flush := func() {
		if k > 0 {
			deliver(batch[:k])
			k = 0
		}
		if len(reply) > 0 {
			s.mu.Lock()
			s.writeLocked(ss, reply)
			s.mu.Unlock()
			reply = reply[:0]
		}
	}
	defer func() { s.rbuf = reply[:0] }()
	for {
		if !s.rd.Buffered() {
			flush()
		}
		line, term, err := s.rd.Next()
		if err != nil {
			flush()
			if errors.Is(err, slcan.ErrLineTooLong) {
				s.oversize()
			}
			return true
		}
		if term == slcan.BEL {
			s.malformed(line, errors.New("line ended by BEL"))
			reply = append(reply, slcan.BEL)
			continue
		}
		if len(line) > 0 && slcan.IsFrame(line[0]) {
			reply = s.deviceFrame(ss, line, batch, &k, reply)
			if k == len(batch) {
				deliver(batch[:k])
				k = 0
			}
			continue
		}
		reply = s.command(ss, line, reply)
	}
}

// deviceFrame takes a frame the peer transmits.
func (s *ep) deviceFrame(ss *session, line []byte, batch []frame.Frame, k *int, reply []byte) []byte {
	s.mu.Lock()
	open, lo := ss.open, ss.listenOnly
	s.mu.Unlock()
	if !open || lo {
		s.env.Drop(endpoint.ReasonLinkDown, 1)
		s.log.Log(slog.LevelWarn, "closed", "peer transmits on a channel it has not opened for sending (O)", "transport", s.what, "line", string(clip(line)))
		return append(reply, slcan.BEL)
	}
	if _, err := slcan.ParseFrame(line, &s.rf); err != nil {
		s.malformed(line, err)
		return append(reply, slcan.BEL)
	}
	fd := s.rf.IsFD()
	if fd && !s.opt.FD {
		s.env.Drop(endpoint.ReasonUnsupported, 1)
		s.log.Log(slog.LevelWarn, "fd", "peer sent a CAN FD frame; set fd: true to carry them", "transport", s.what)
		return append(reply, slcan.BEL)
	}
	f := &batch[*k]
	frame.FromCAN(f, &s.rf, fd)
	f.Time = 0
	*k++
	if s.rf.Extended {
		return append(reply, 'Z', slcan.CR)
	}
	return append(reply, 'z', slcan.CR)
}

// command answers one Lawicel command of the peer.
func (s *ep) command(ss *session, line []byte, reply []byte) []byte {
	if len(line) == 0 {
		return append(reply, slcan.CR) // an empty command (peers send a few to flush the adapter)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	arg := line[1:]
	switch line[0] {
	case 'O', 'L':
		if len(arg) != 0 {
			break
		}
		if ss.open {
			return append(reply, slcan.BEL)
		}
		ss.open, ss.listenOnly = true, line[0] == 'L'
		return append(reply, slcan.CR)
	case 'C':
		if len(arg) != 0 {
			break
		}
		if !ss.open {
			return append(reply, slcan.BEL)
		}
		ss.open = false
		return append(reply, slcan.CR)
	case 'S':
		if len(arg) != 1 || arg[0] < '0' || arg[0] > '8' {
			break
		}
		if ss.open {
			return append(reply, slcan.BEL)
		}
		return append(reply, slcan.CR)
	case 's':
		if len(arg) != 4 || !isHex(arg) {
			break
		}
		if ss.open {
			return append(reply, slcan.BEL)
		}
		return append(reply, slcan.CR)
	case 'V':
		if len(arg) == 0 {
			return append(append(reply, deviceVersion...), slcan.CR)
		}
	case 'N':
		if len(arg) == 0 {
			return append(append(reply, deviceSerial...), slcan.CR)
		}
	case 'F':
		if len(arg) != 0 {
			break
		}
		if !ss.open {
			return append(reply, slcan.BEL)
		}
		return slcan.AppendStatus(reply, 0)
	case 'Z':
		if len(arg) != 1 || (arg[0] != '0' && arg[0] != '1') {
			break
		}
		ss.timestamps = arg[0] == '1'
		return append(reply, slcan.CR)
	case 'M', 'm':
		// Acceptance code and mask: accepted, not applied (routes filter).
		if len(arg) == 8 && isHex(arg) {
			return append(reply, slcan.CR)
		}
	case 'W', 'X', 'U', 'Q':
		// Filter mode, auto-poll, UART speed, auto-start: accepted and
		// without effect (frames are always forwarded as they come).
		if len(arg) == 1 || (line[0] == 'W' && len(arg) == 2 && isHex(arg)) {
			return append(reply, slcan.CR)
		}
	}
	s.mu.Unlock()
	s.malformed(line, errors.New("not a Lawicel command"))
	s.mu.Lock()
	return append(reply, slcan.BEL)
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
