package console

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// benchDBC parses testdata/console.dbc.
func benchDBC(tb testing.TB) *can.DBC {
	tb.Helper()
	b, err := os.ReadFile("testdata/console.dbc")
	if err != nil {
		tb.Fatal(err)
	}
	db, err := can.ParseDBC("console.dbc", b)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// BenchmarkTraceTick measures one tick of an event stream with N IDs whose
// data all changed since the previous tick (one of them, 0x123, decoded by
// the DBC): reading the tap and producing the trace event's bytes.
func BenchmarkTraceTick(b *testing.B) {
	for _, n := range []int{8, 64, 512} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			tap := new(Tap)
			v := &traceView{tap: tap, dbc: benchDBC(b), name: func(uint16) string { return "a" }}
			batch := make([]frame.Frame, n)
			now := time.Now()
			feed := func(k int) {
				for i := range batch {
					f := &batch[i]
					*f = frame.Frame{Type: frame.CAN, ID: uint32(0x120 + i), Len: 8, Time: now.UnixNano()}
					copy(f.Data[:], []byte{byte(k), 0x03, 0x50, 0x01, 0xC0, 0x45, 0x01, byte(i)})
				}
				tap.Observe(batch)
			}
			feed(0)
			v.changed(now, true)
			b.ReportAllocs()
			b.ResetTimer()
			k := 1
			var buf []byte
			for b.Loop() {
				feed(k)
				now = now.Add(100 * time.Millisecond)
				var rows int
				buf, rows = v.appendTrace(buf[:0], now, false)
				if rows != n {
					b.Fatalf("%d rows, want %d", rows, n)
				}
				k++
			}
		})
	}
}

// BenchmarkStatusEvent measures the once-a-second status event of a
// stream for a gateway of two endpoints and a route: the history's latest
// sample and its JSON.
func BenchmarkStatusEvent(b *testing.B) {
	r := startRig(b, config.Admin{})
	r.con.hist.take(time.Now())
	r.con.hist.take(time.Now().Add(time.Second))
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		smp, st, drops, _ := r.con.hist.latest()
		j, err := json.Marshal(statusEvent{Sample: smp, Status: st, Drops: drops})
		if err != nil {
			b.Fatal(err)
		}
		buf = appendEvent(buf[:0], "status", j)
	}
	b.ReportMetric(float64(len(buf)), "bytes/event")
}
