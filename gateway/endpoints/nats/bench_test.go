//go:build !hil

package nats_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/nats"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// openPublisher opens a nats endpoint (embedded server) outside a
// gateway, as the engine would, for benchmarks.
func openPublisher(b *testing.B, enc, extra string) (endpoint.Transceiver, string) {
	b.Helper()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg, err := config.Parse("b.yaml", []byte(fmt.Sprintf(`admin: {listen: ""}
endpoints:
  src: {kind: test-source}
  pub: {kind: nats, gateway: bench, encoding: %s, server: {listen: "127.0.0.1:%d"} %s}
routes:
  - {name: r, from: [src], to: [pub]}
`, enc, port, extra)))
	if err != nil {
		b.Fatal(err)
	}
	env := &endpoint.Env{Name: "pub", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SourceName: func(uint16) string { return "vcan0" }}
	tr, err := endpoint.Open(context.Background(), cfg.Endpoint("pub"), env)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Close() })
	for env.Stats.Peers.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	return tr, nats.Addr(tr)
}

// benchFrames is a batch as the queue hands it over under load: 64
// classic CAN frames of one bus with varying IDs and 8 data bytes.
func benchFrames() []frame.Frame {
	fs := make([]frame.Frame, endpoint.BatchSize)
	now := time.Now().UnixNano()
	for i := range fs {
		fs[i] = frame.Frame{Type: frame.CAN, ID: uint32(0x100 + i), Len: 8, Time: now + int64(i)*1000}
		for j := range 8 {
			fs[i].Data[j] = byte(i + j)
		}
	}
	return fs
}

// capture returns the messages the endpoint publishes for one Send of fs,
// read back by a subscriber: the payloads nats.go is to publish in the
// bare loop, with the same subjects and headers.
func capture(b *testing.B, tr endpoint.Transceiver, url string, fs []frame.Frame) []*natsio.Msg {
	b.Helper()
	nc, err := natsio.Connect(url)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	sub, _ := nc.SubscribeSync(">")
	nc.Flush()
	if _, err := tr.Send(context.Background(), fs); err != nil {
		b.Fatal(err)
	}
	var out []*natsio.Msg
	for {
		m, err := sub.NextMsg(200 * time.Millisecond)
		if err != nil {
			break
		}
		out = append(out, &natsio.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data})
	}
	if len(out) == 0 {
		b.Fatal("nothing published")
	}
	return out
}

// noCoalesce is the setting that makes a binary endpoint publish each
// batch as it comes (coalesce would fill messages across Sends, up to
// 255 frames, while the bare loop publishes the 64-frame messages
// captured once): both sides then publish the very same messages.
func noCoalesce(enc string) string {
	if enc == "binary" {
		return ", coalesce: 0"
	}
	return ""
}

// bareOptions are the bare loop's client options: those of the
// endpoint's client that change what a publish costs (it skips nats.go's
// white-space scan of the subject, which its subjects cannot hold), so
// that the two differ only in the endpoint's own work.
var bareOptions = []natsio.Option{natsio.SkipSubjectValidation(), natsio.NoEcho()}

// BenchmarkPublish: frames/s the endpoint publishes (Send of 64-frame
// batches, encoding and headers included) against nats.go publishing the
// very messages the endpoint produced (captured once by a subscriber:
// subject, data and all five headers) in a bare PublishMsg loop on a
// connection of its own to the same server (bareOptions). Both
// run interleaved in blocks of 100 batches; ratio is endpoint/nats.go
// frames per second of wall-clock time. The loop holds its OS thread and
// reads that thread's CPU time around each block as well (Linux): the
// CPU time per frame of either side, and cpu-ratio (nats.go's CPU per
// frame over the endpoint's, i.e. the rate ratio on a CPU of their own),
// which load from other processes does not distort.
func BenchmarkPublish(b *testing.B) {
	for _, enc := range []string{"binary", "json"} {
		b.Run(enc, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tr, url := openPublisher(b, enc, noCoalesce(enc))
			fs := benchFrames()
			msgs := capture(b, tr, url, fs)
			nc, err := natsio.Connect(url, bareOptions...)
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			ctx := context.Background()
			// Blocks of 100 iterations alternate, so that load from other
			// processes falls on both alike.
			const block = 100
			var tEP, tNC time.Duration
			var cEP, cNC int64
			b.ReportAllocs()
			b.ResetTimer()
			rounds := max(b.N/block, 1)
			per := min(b.N, block)
			for range rounds {
				c0, t0 := threadCPU(), time.Now()
				for range per {
					if _, err := tr.Send(ctx, fs); err != nil {
						b.Fatal(err)
					}
				}
				c1, t1 := threadCPU(), time.Now()
				for range per {
					for _, m := range msgs {
						if err := nc.PublishMsg(m); err != nil {
							b.Fatal(err)
						}
					}
				}
				tNC += time.Since(t1)
				cNC += threadCPU() - c1
				tEP += t1.Sub(t0)
				cEP += c1 - c0
			}
			frames := float64(per * rounds * len(fs))
			epRate, ncRate := frames/tEP.Seconds(), frames/tNC.Seconds()
			b.ReportMetric(epRate, "endpoint-frames/s")
			b.ReportMetric(ncRate, "natsgo-frames/s")
			b.ReportMetric(epRate/ncRate, "ratio")
			if cEP > 0 && cNC > 0 {
				b.ReportMetric(float64(cEP)/frames, "endpoint-cpu-ns/frame")
				b.ReportMetric(float64(cNC)/frames, "natsgo-cpu-ns/frame")
				b.ReportMetric(float64(cNC)/float64(cEP), "cpu-ratio")
			}
			b.ReportMetric(float64(len(msgs)), "msgs/batch")
		})
	}
}

// BenchmarkPublishAllocs: allocations of one Send of a 64-frame batch,
// and of nats.go's PublishMsg for the same messages (alone, without
// the other in the loop: -benchmem's allocs/op).
func BenchmarkPublishAllocs(b *testing.B) {
	for _, enc := range []string{"binary", "json"} {
		tr, url := openPublisher(b, enc, noCoalesce(enc))
		fs := benchFrames()
		msgs := capture(b, tr, url, fs)
		b.Run("endpoint-"+enc, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				tr.Send(context.Background(), fs)
			}
		})
		b.Run("natsgo-"+enc, func(b *testing.B) {
			nc, _ := natsio.Connect(url, bareOptions...)
			defer nc.Close()
			b.ReportAllocs()
			for range b.N {
				for _, m := range msgs {
					nc.PublishMsg(m)
				}
			}
		})
	}
}

// BenchmarkSignals: cost and allocations per frame of the signals
// encoding (DBC decode and JSON) through Send, one message per frame.
func BenchmarkSignals(b *testing.B) {
	tr, _ := openPublisher(b, "signals", ", dbc: ../../busmsg/testdata/engine.dbc")
	fs := []frame.Frame{{Type: frame.CAN, ID: 0x123, Len: 8, Time: 1, Data: [frame.MaxData]byte{0xE8, 0x03, 0xF6, 0x01}}}
	b.ReportAllocs()
	for range b.N {
		if _, err := tr.Send(context.Background(), fs); err != nil {
			b.Fatal(err)
		}
	}
}
