package udp

import (
	"net/netip"
	"testing"
)

// feed adds seqs to a fresh window and returns the gaps counted.
func feed(w *seqWindow, seqs ...int) int {
	n := 0
	for _, s := range seqs {
		n += w.add(uint8(s))
	}
	return n
}

func run(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// TestSeqWindow: duplicates and reordering count nothing; a datagram that
// never arrives counts once, when the window has passed it.
func TestSeqWindow(t *testing.T) {
	var w seqWindow
	if g := feed(&w, 5, 5, 5, 4); g != 0 {
		t.Errorf("5,5,5,4: %d gaps, want 0", g)
	}
	w = seqWindow{}
	if g := feed(&w, 1, 3, 2, 2, 6, 5, 4, 4, 7); g != 0 {
		t.Errorf("reordered and duplicated: %d gaps, want 0", g)
	}
	// 4, 5 and 6 never arrive.
	w = seqWindow{}
	if g := feed(&w, 1, 2, 3, 7, 8); g != 0 {
		t.Errorf("loss still inside the window: %d gaps, want 0", g)
	}
	if g := feed(&w, run(9, 37)...); g != 2 {
		t.Errorf("window passed 4 and 5 (up to 37): %d gaps, want 2", g)
	}
	if g := feed(&w, 38); g != 1 {
		t.Errorf("window passed 6: %d gaps, want 1", g)
	}
	if g := feed(&w, 6, 5, 4); g != 0 {
		t.Errorf("datagrams later than the window: %d gaps, want 0 (already counted)", g)
	}
	// Wrapping around 255 → 0.
	w = seqWindow{}
	if g := feed(&w, append(append(run(250, 255), 1), run(2, 40)...)...); g != 1 {
		t.Errorf("across the wrap, 0 lost: %d gaps, want 1", g)
	}
	// A jump of 100 counts the 99 numbers skipped, once passed.
	w = seqWindow{}
	if g := feed(&w, 0, 100) + feed(&w, run(101, 131)...); g != 99 {
		t.Errorf("jump of 100: %d gaps, want 99", g)
	}
	// A restarted peer (second datagram continues one older than the
	// window) starts a new window: nothing counted for the restart.
	w = seqWindow{}
	if g := feed(&w, run(0, 100)...) + feed(&w, 0, 1, 2, 3) + feed(&w, run(4, 60)...); g != 0 {
		t.Errorf("restart at 0 after 100: %d gaps, want 0", g)
	}
}

// TestSeqPeers: several senders each have their window.
func TestSeqPeers(t *testing.T) {
	var p seqPeers
	a, b := netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:1")
	gaps := 0
	for i := range 100 {
		gaps += p.add(a, uint8(i))
		if i != 50 {
			gaps += p.add(b, uint8(200+i))
		}
	}
	if gaps != 1 {
		t.Errorf("two interleaved senders, one loss: %d gaps, want 1", gaps)
	}
	// Five more senders evict a and b; nothing is counted for them.
	for i := range 5 {
		gaps += p.add(netip.AddrPortFrom(a.Addr(), uint16(10+i)), 7)
	}
	if gaps != 1 {
		t.Errorf("after eviction: %d gaps", gaps)
	}
}

// FuzzSeqWindow: for a sender numbering datagrams 0, 1, 2, … (mod 256)
// whose datagrams the network loses (runs of at most 90), duplicates and
// reorders (within blocks of up to 16, less than the window), the window
// counts exactly the lost datagrams once ReorderWindow more have arrived.
// Each input byte drives one step: bit 7 loses a run of (b & 0x7F) % 91
// datagrams, bit 6 duplicates the next datagram, the low 4 bits reorder a
// block of that many.
func FuzzSeqWindow(f *testing.F) {
	f.Add([]byte{0x00, 0x83, 0x05, 0x40, 0x0F})
	f.Add([]byte{0xFF, 0xFF, 0xFF})
	f.Add([]byte{0x4F, 0x4F, 0x81, 0x0F, 0xDA, 0x03})
	f.Fuzz(func(t *testing.T, ops []byte) {
		var w seqWindow
		var arrivals []int // sequence numbers in arrival order (absolute)
		next, lost := 0, 0
		for _, b := range ops {
			if b&0x80 != 0 {
				k := int(b&0x7F) % 91
				next += k
				if len(arrivals) > 0 {
					lost += k // before the first datagram, nothing is expected
				}
			}
			n := int(b & 0x0F)
			block := run(next, next+n)
			next += n + 1
			// Reverse the block: the most reordering a block allows.
			for i, j := 0, len(block)-1; i < j; i, j = i+1, j-1 {
				block[i], block[j] = block[j], block[i]
			}
			if b&0x40 != 0 {
				block = append(block, block[0])
			}
			arrivals = append(arrivals, block...)
		}
		// Then the window's worth in order: every loss is passed.
		arrivals = append(arrivals, run(next, next+ReorderWindow)...)
		gaps := 0
		for _, s := range arrivals {
			g := w.add(uint8(s))
			if g < 0 || g > 127 {
				t.Fatalf("one datagram counted %d gaps", g)
			}
			gaps += g
		}
		if gaps != lost {
			t.Fatalf("counted %d gaps, %d datagrams were lost (arrivals %v)", gaps, lost, arrivals)
		}
	})
}
