//go:build linux && !hil

package packet

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWriteBatch sends batches through the transmit ring and through
// sendmmsg and checks that B receives every frame byte-exact and in order,
// including batches larger than the ring (the writer must wait for slots
// the kernel gives back) and frames of the largest size a slot holds.
func TestWriteBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		tx   *TxRingConfig
	}{
		{"sendmmsg", nil},
		{"txring", &TxRingConfig{FrameSize: 2048, FrameCount: 64}},
		{"txring-default", &TxRingConfig{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newVethNet(t)
			rx := n.listen(t, "B", &Config{Ring: &RingConfig{BlockSize: 1 << 20, BlockCount: 16, RetireTimeout: 2 * time.Millisecond}})
			tx := n.listen(t, "A", &Config{SendOnly: true, TxRing: tc.tx})
			sizes := []int{14, 60, 64, 100, 1500, 1514}
			var want [][]byte
			for i := range 3000 {
				want = append(want, testFrame(i, sizes[i%len(sizes)]))
			}
			// Write and WriteTo go through the ring too (the kernel would
			// ignore their data and only flush the ring otherwise).
			for _, f := range want[:2] {
				if got, err := tx.WriteTo(f, &Addr{Interface: tx.LocalAddr().(*Addr).Interface}); err != nil || got != len(f) {
					t.Fatalf("WriteTo: %d, %v", got, err)
				}
			}
			if got, err := tx.Write(want[2]); err != nil || got != len(want[2]) {
				t.Fatalf("Write: %d, %v", got, err)
			}
			for off := 3; off < len(want); {
				end := min(len(want), off+1+off%700) // batches of 1..700 frames
				got, err := tx.WriteBatch(want[off:end])
				if err != nil || got != end-off {
					t.Fatalf("WriteBatch(%d frames at %d) = %d, %v", end-off, off, got, err)
				}
				off = end
			}
			ctx := ctxTimeout(t, 10*time.Second)
			i := 0
			for i < len(want) {
				b, err := rx.ReadBlock(ctx)
				if err != nil {
					t.Fatalf("ReadBlock after %d of %d frames: %v", i, len(want), err)
				}
				for p, ok := b.Next(); ok; p, ok = b.Next() {
					if i >= len(want) || !bytes.Equal(p.Data, want[i]) {
						t.Fatalf("frame %d: got %d bytes %x..., want %d bytes", i, len(p.Data), p.Data[:min(len(p.Data), 20)], len(want[min(i, len(want)-1)]))
					}
					i++
				}
				b.Release()
			}
			if st, err := rx.Stats(); err != nil || st.Drops != 0 || st.Packets != uint64(len(want)) {
				t.Fatalf("receiver stats %+v, %v: want %d packets, no drops", st, err, len(want))
			}
		})
	}
}

func TestWriteBatchErrors(t *testing.T) {
	n := newVethNet(t)
	tx := n.listen(t, "A", &Config{SendOnly: true, TxRing: &TxRingConfig{FrameSize: 256, FrameCount: 8}})
	if got, err := tx.WriteBatch([][]byte{testFrame(0, 60), testFrame(1, 256-32+1)}); got != 1 || err == nil || !strings.Contains(err.Error(), "frame 1: 225 bytes") {
		t.Errorf("oversized frame: %d, %v; want 1 sent and a frame 1 error", got, err)
	}
	if got, err := tx.WriteBatch([][]byte{{}}); got != 0 || err == nil {
		t.Errorf("empty frame: %d, %v; want an error", got, err)
	}
	// Still usable afterwards.
	if got, err := tx.WriteBatch([][]byte{testFrame(2, 60)}); got != 1 || err != nil {
		t.Errorf("after errors: %d, %v", got, err)
	}
	// Frames longer than MTU + header are refused before they reach the
	// ring (the kernel would skip them silently); a VLAN-tagged frame may
	// be 4 bytes longer, as the kernel allows.
	big := n.listen(t, "A", &Config{SendOnly: true, TxRing: &TxRingConfig{}})
	tagged := testFrame(3, 1518)
	tagged[12], tagged[13] = 0x81, 0x00
	if got, err := big.WriteBatch([][]byte{testFrame(0, 1514), tagged, testFrame(1, 1515)}); got != 2 || !errors.Is(err, unix.EMSGSIZE) || !strings.Contains(err.Error(), "frame 2: 1515 bytes, want 1 to 1514") {
		t.Errorf("1515-byte frame on a 1500 MTU: %d, %v; want 2 sent and EMSGSIZE for frame 2", got, err)
	}
	mustRun(t, "ip", "-n", n.name, "link", "set", "A", "mtu", "1000")
	if got, err := big.WriteBatch([][]byte{testFrame(0, 1014), testFrame(1, 1015)}); got != 1 || !errors.Is(err, unix.EMSGSIZE) {
		t.Errorf("after MTU 1000: %d, %v; want 1 sent and EMSGSIZE", got, err)
	}
	if _, err := tx.WriteTo(testFrame(0, 60), &Addr{HardwareAddr: macB}); err == nil || !strings.Contains(err.Error(), "only to its bound interface") {
		t.Errorf("WriteTo with a hardware address on a tx ring Conn: %v", err)
	}
	var err error
	n.do(t, func() {
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName("A"); err != nil {
			return
		}
		var c *Conn
		c, err = Listen(ifi, &Config{Ring: &RingConfig{}, TxRing: &TxRingConfig{}})
		if err == nil {
			c.Close()
			err = errors.New("no error")
		}
	})
	if !strings.Contains(err.Error(), "TxRing and Config.Ring") {
		t.Errorf("Ring and TxRing together: %v", err)
	}
	if _, err := Listen(nil, &Config{SendOnly: true, TxRing: &TxRingConfig{FrameSize: 40}}); err == nil || !strings.Contains(err.Error(), "FrameSize 40") {
		t.Errorf("FrameSize 40: %v", err)
	}
	all := n.listen(t, "", &Config{SendOnly: true})
	if _, err := all.WriteBatch([][]byte{testFrame(0, 60)}); err == nil || !strings.Contains(err.Error(), "all interfaces") {
		t.Errorf("WriteBatch on all interfaces: %v", err)
	}
}
