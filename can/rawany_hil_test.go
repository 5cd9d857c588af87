//go:build hil

package can

import (
	"net"
	"testing"
	"time"
)

// TestHILAnyIfindexQueued: a socket bound to all interfaces reports each
// frame's interface also when the frames were already queued (the direct
// recvmmsg path; CAN_RAW returns an 8-byte address there).
func TestHILAnyIfindexQueued(t *testing.T) {
	rx := listen(t, "", &RawConfig{Filters: []Filter{{ID: 0x5B0, Mask: 0x7F0}}})
	want := map[uint32]string{0x5B1: "vcan0", 0x5B2: "vcan1"}
	for id, iface := range want {
		tx := listen(t, iface, &RawConfig{Filters: []Filter{}})
		f := FDFrame{ID: id, Len: 1}
		if err := tx.WriteFrame(hilCtx(t, 5*time.Second), &f); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // both queued before the read
	msgs := make([]RecvMsg, 4)
	got := 0
	for got < 2 {
		n, err := rx.ReadBatch(hilCtx(t, 5*time.Second), msgs)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs[:n] {
			ifi, err := net.InterfaceByIndex(m.Ifindex)
			if err != nil || ifi.Name != want[m.Frame.ID] {
				t.Fatalf("frame %s: ifindex %d (%v), want %s", m.Frame, m.Ifindex, err, want[m.Frame.ID])
			}
			got++
		}
	}
}
