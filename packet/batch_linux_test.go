//go:build linux && !hil

package packet

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type batchWriter interface {
	WriteBatch([][]byte) (int, error)
}

// TestWriteBatch sends batches with Conn.WriteBatch (sendmmsg) and through
// the evaluated transmit ring (txring_eval_linux_test.go, so that what
// BenchmarkTransmit measures is known to deliver) and checks that B
// receives every frame byte-exact and in order, with batches larger than
// one sendmmsg and than the ring.
func TestWriteBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		ring *txRingConfig
	}{
		{"sendmmsg", nil},
		{"txring-eval", &txRingConfig{FrameSize: 2048, FrameCount: 64}},
		{"txring-eval-default", &txRingConfig{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newVethNet(t)
			rx := n.listen(t, "B", &Config{Ring: &RingConfig{BlockSize: 1 << 20, BlockCount: 16, RetireTimeout: 2 * time.Millisecond}})
			tx := n.listen(t, "A", &Config{SendOnly: true})
			var w batchWriter = tx
			if tc.ring != nil {
				r, err := newEvalTxRing(tx, tc.ring)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				w = r
			}
			sizes := []int{14, 60, 64, 100, 1500, 1514}
			var want [][]byte
			for i := range 4000 {
				want = append(want, testFrame(i, sizes[i%len(sizes)]))
			}
			// Read while sending: the ring holds a fraction of the frames.
			type result struct {
				frames [][]byte
				err    error
			}
			done := make(chan result, 1)
			go func() {
				var r result
				ctx := ctxTimeout(t, 10*time.Second)
				for len(r.frames) < len(want) {
					b, err := rx.ReadBlock(ctx)
					if err != nil {
						r.err = err
						break
					}
					for p, ok := b.Next(); ok; p, ok = b.Next() {
						r.frames = append(r.frames, bytes.Clone(p.Data))
					}
					b.Release()
				}
				done <- r
			}()
			for off, k := 0, 0; off < len(want); k++ {
				end := min(len(want), off+[]int{1, 7, 700, 1100}[k%4]) // up to more than one sendmmsg (1024)
				got, err := w.WriteBatch(want[off:end])
				if err != nil || got != end-off {
					t.Fatalf("WriteBatch(%d frames at %d) = %d, %v", end-off, off, got, err)
				}
				off = end
			}
			r := <-done
			st, serr := rx.Stats()
			if r.err != nil {
				t.Fatalf("read %d of %d frames: %v (receiver stats %+v %v)", len(r.frames), len(want), r.err, st, serr)
			}
			for i := range want {
				if !bytes.Equal(r.frames[i], want[i]) {
					t.Fatalf("frame %d: got %d bytes %x..., want %d bytes", i, len(r.frames[i]), r.frames[i][:min(len(r.frames[i]), 20)], len(want[i]))
				}
			}
			if serr != nil || st.Drops != 0 || st.Packets != uint64(len(want)) {
				t.Fatalf("receiver stats %+v, %v: want %d packets, no drops", st, serr, len(want))
			}
		})
	}
}

func TestWriteBatchErrors(t *testing.T) {
	n := newVethNet(t)
	tagged := testFrame(3, 1518)
	tagged[12], tagged[13] = 0x81, 0x00
	// The kernel refuses frames longer than MTU + header (an 802.1Q frame
	// may be 4 bytes longer); WriteBatch stops there and says so.
	tx := n.listen(t, "A", &Config{SendOnly: true})
	if got, err := tx.WriteBatch([][]byte{testFrame(0, 1514), tagged, testFrame(1, 1515), testFrame(2, 60)}); got != 2 || !errors.Is(err, unix.EMSGSIZE) {
		t.Errorf("1515-byte frame on a 1500 MTU: %d, %v; want 2 sent and EMSGSIZE", got, err)
	}
	if got, err := tx.WriteBatch(nil); got != 0 || err != nil {
		t.Errorf("empty batch: %d, %v", got, err)
	}
	all := n.listen(t, "", &Config{SendOnly: true})
	if _, err := all.WriteBatch([][]byte{testFrame(0, 60)}); err == nil || !strings.Contains(err.Error(), "all interfaces") {
		t.Errorf("WriteBatch on all interfaces: %v", err)
	}

	// The evaluated ring checks lengths itself, against the live MTU:
	// the kernel would skip a refused frame silently (PACKET_LOSS).
	rtx := n.listen(t, "A", &Config{SendOnly: true})
	r, err := newEvalTxRing(rtx, &txRingConfig{FrameSize: 2048, FrameCount: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := r.WriteBatch([][]byte{testFrame(0, 1514), tagged, testFrame(1, 1515)}); got != 2 || !errors.Is(err, unix.EMSGSIZE) || !strings.Contains(err.Error(), "frame 2: 1515 bytes, want 1 to 1514") {
		t.Errorf("ring, 1515-byte frame: %d, %v; want 2 sent and EMSGSIZE for frame 2", got, err)
	}
	mustRun(t, "ip", "-n", n.name, "link", "set", "A", "mtu", "1000")
	if got, err := r.WriteBatch([][]byte{testFrame(0, 1014), testFrame(1, 1015)}); got != 1 || !errors.Is(err, unix.EMSGSIZE) {
		t.Errorf("ring after MTU 1000: %d, %v; want 1 sent and EMSGSIZE", got, err)
	}
	if got, err := r.WriteBatch([][]byte{{}}); got != 0 || err == nil {
		t.Errorf("ring, empty frame: %d, %v; want an error", got, err)
	}
}
