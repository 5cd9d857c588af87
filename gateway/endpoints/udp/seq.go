package udp

import "net/netip"

// ReorderWindow is how many sequence numbers a datagram may arrive late
// and still count as received: a sequence number counts as a gap only
// once a datagram ReorderWindow or more numbers ahead of it has arrived
// and it has not. Duplicates and reordered datagrams count nothing.
const ReorderWindow = 32

// seqWindow tracks one peer's cannelloni sequence numbers (8 bits, wrapping).
type seqWindow struct {
	started bool
	hi      uint8  // highest sequence number received (modulo 256)
	seen    uint64 // bit i: hi-i received (or before the first datagram)
	// stale is 1 + the number that would continue the last datagram
	// older than the window (0: none). A datagram with that number is a
	// restarted peer's second one: the window starts over from it.
	stale int
}

const windowMask = uint64(1)<<ReorderWindow - 1

// add records sequence number seq and returns how many sequence numbers
// the window passed without their datagram (network loss).
func (w *seqWindow) add(seq uint8) int {
	if !w.started || w.stale == int(seq)+1 {
		// Numbers before the first datagram are not expected.
		*w = seqWindow{started: true, hi: seq, seen: windowMask}
		return 0
	}
	d := int(int8(seq - w.hi))
	switch {
	case d > 0:
		w.stale = 0
		// Numbers hi-W+1 … hi-W+d leave the window: those of the old
		// window (i < W) at bit W-1-i, the others (beyond hi) unseen.
		lost := 0
		for i := range d {
			if i >= ReorderWindow || w.seen&(1<<(ReorderWindow-1-i)) == 0 {
				lost++
			}
		}
		if d >= ReorderWindow {
			w.seen = 1
		} else {
			w.seen = (w.seen<<d | 1) & windowMask
		}
		w.hi = seq
		return lost
	case -d < ReorderWindow:
		w.stale = 0
		w.seen |= 1 << -d // late (fills a hole) or a duplicate: nothing to count
	default:
		// Older than the window (it was counted lost when the window
		// passed it), or a peer that restarted its sequence: remember it.
		w.stale = int(seq+1) + 1
	}
	return 0
}

// seqPeers are the sequence windows of the last few peers heard from, so
// that a link with several senders counts each one's gaps; the least
// recently heard peer gives its place to a new one (its pending holes are
// not counted).
type seqPeers struct {
	peers [4]struct {
		addr netip.AddrPort
		last uint64
		w    seqWindow
	}
	clock uint64
}

// add records sequence number seq from peer from and returns the gaps it
// reveals.
func (p *seqPeers) add(from netip.AddrPort, seq uint8) int {
	p.clock++
	oldest := 0
	for i := range p.peers {
		e := &p.peers[i]
		if e.addr == from && e.last != 0 {
			e.last = p.clock
			return e.w.add(seq)
		}
		if e.last < p.peers[oldest].last {
			oldest = i
		}
	}
	e := &p.peers[oldest]
	e.addr, e.last, e.w = from, p.clock, seqWindow{}
	return e.w.add(seq)
}
