//go:build !hil

package mqtt_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// openPublisher opens an mqtt endpoint outside a gateway, as the engine
// would, for benchmarks.
func openPublisher(t testing.TB, b *broker, enc string, qos int) endpoint.Transceiver {
	t.Helper()
	cfg, err := config.Parse("b.yaml", []byte(fmt.Sprintf(`admin: {listen: ""}
endpoints:
  src: {kind: test-source}
  pub: {kind: mqtt, url: %[1]q, client_id: bench-%[2]s-%[3]d, gateway: bench-%[2]s-%[3]d, encoding: %[2]s, qos: %[3]d}
routes:
  - {name: r, from: [src], to: [pub]}
`, b.url(), enc, qos)))
	if err != nil {
		t.Fatal(err)
	}
	env := &endpoint.Env{Name: "pub", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SourceName: func(uint16) string { return "vcan0" }}
	tr, err := endpoint.Open(context.Background(), cfg.Endpoint("pub"), env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	for env.Stats.Peers.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	return tr
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

type message struct {
	topic   string
	payload []byte
}

// capture returns the messages the endpoint publishes for one Send of
// fs, read back by a paho subscriber: what bare paho is to publish.
func capture(t testing.TB, b *broker, tr endpoint.Transceiver, gw string, fs []frame.Frame) []message {
	t.Helper()
	var mu sync.Mutex
	var got []message
	c := paho.NewClient(paho.NewClientOptions().AddBroker(b.url()).SetClientID("capture"))
	if tk := c.Connect(); !tk.WaitTimeout(20*time.Second) || tk.Error() != nil {
		t.Fatal("capture connect", tk.Error())
	}
	defer c.Disconnect(0)
	if tk := c.Subscribe("fieldgate/"+gw+"/vcan0/#", 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		got = append(got, message{m.Topic(), slices.Clone(m.Payload())})
		mu.Unlock()
	}); !tk.WaitTimeout(20*time.Second) || tk.Error() != nil {
		t.Fatal("capture subscribe", tk.Error())
	}
	if _, err := tr.Send(context.Background(), fs); err != nil {
		t.Fatal(err)
	}
	n := 0
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n = 0
		for _, m := range got {
			if m.payload[0] == 1 { // binary: the frame count
				n += int(m.payload[1])
			} else {
				n++
			}
		}
		mu.Unlock()
		if n >= len(fs) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if n != len(fs) {
		t.Fatalf("captured %d messages (%d frames) of %d frames", len(got), n, len(fs))
	}
	return got
}

// barePaho publishes msgs with a paho client at qos as a bare loop would:
// each batch's messages, then wait for their tokens.
type barePaho struct {
	c    paho.Client
	qos  byte
	msgs []message
	toks []paho.Token
}

func newBarePaho(t testing.TB, b *broker, name string, qos byte, msgs []message) *barePaho {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(b.url()).SetClientID(fmt.Sprintf("bare-%s-%d", name, qos)).SetCleanSession(qos == 0))
	if tk := c.Connect(); !tk.WaitTimeout(20*time.Second) || tk.Error() != nil {
		t.Fatal("bare connect", tk.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return &barePaho{c: c, qos: qos, msgs: msgs}
}

func (p *barePaho) batch(t testing.TB) {
	p.toks = p.toks[:0]
	for _, m := range p.msgs {
		p.toks = append(p.toks, p.c.Publish(m.topic, p.qos, false, m.payload))
	}
	for _, tk := range p.toks {
		tk.Wait()
		if tk.Error() != nil {
			t.Fatal(tk.Error())
		}
	}
}

// BenchmarkPublish compares the endpoint's Send with bare paho
// publishing the same messages, per batch of 64 CAN frames, against
// mosquitto on loopback (no subscriber).
func BenchmarkPublish(b *testing.B) {
	br := startMosquitto(&testing.T{}, "set_tcp_nodelay true")
	defer br.kill()
	for _, enc := range []string{"binary", "json"} {
		for _, qos := range []int{0, 1} {
			fs := benchFrames()
			tr := openPublisher(b, br, enc, qos)
			msgs := capture(b, br, tr, fmt.Sprintf("bench-%s-%d", enc, qos), fs)
			bare := newBarePaho(b, br, enc, byte(qos), msgs)
			b.Run(fmt.Sprintf("endpoint-%s-qos%d", enc, qos), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := tr.Send(context.Background(), fs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*len(fs))/b.Elapsed().Seconds(), "frames/s")
			})
			b.Run(fmt.Sprintf("paho-%s-qos%d", enc, qos), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					bare.batch(b)
				}
				b.ReportMetric(float64(b.N*len(fs))/b.Elapsed().Seconds(), "frames/s")
			})
		}
	}
}

// TestPublishRatio (MQTT_BENCH=1) runs rounds of the endpoint's Send and
// bare paho publishing the same messages, alternating, and prints each
// round's frame rates and their ratio, then the ratio's median, min and
// max per encoding and QoS.
func TestPublishRatio(t *testing.T) {
	if os.Getenv("MQTT_BENCH") == "" {
		t.Skip("a benchmark: MQTT_BENCH=1 runs it")
	}
	rounds, batches := 9, 2000
	// Without set_tcp_nodelay mosquitto holds back PUBACKs (Nagle's
	// algorithm against the client's delayed ACK): 40 ms per batch of
	// json messages at QoS 1, for paho and the endpoint alike.
	b := startMosquitto(t, "set_tcp_nodelay true")
	for _, enc := range []string{"binary", "json"} {
		for _, qos := range []int{0, 1} {
			fs := benchFrames()
			tr := openPublisher(t, b, enc, qos)
			msgs := capture(t, b, tr, fmt.Sprintf("bench-%s-%d", enc, qos), fs)
			bare := newBarePaho(t, b, enc, byte(qos), msgs)
			n := batches
			if enc == "json" {
				n = batches / 8
			}
			var ratios []float64
			for r := range rounds {
				start := time.Now()
				for range n {
					if _, err := tr.Send(context.Background(), fs); err != nil {
						t.Fatal(err)
					}
				}
				ep := float64(n*len(fs)) / time.Since(start).Seconds()
				time.Sleep(200 * time.Millisecond) // the broker catches up (QoS 0)
				start = time.Now()
				for range n {
					bare.batch(t)
				}
				pa := float64(n*len(fs)) / time.Since(start).Seconds()
				time.Sleep(200 * time.Millisecond)
				ratios = append(ratios, ep/pa)
				t.Logf("%s qos%d round %d: endpoint %.0f frames/s, paho %.0f frames/s, ratio %.2f", enc, qos, r, ep, pa, ep/pa)
			}
			slices.Sort(ratios)
			fmt.Printf("mqtt publish %s qos%d (%d messages per 64 frames): ratio endpoint/paho median %.2f min %.2f max %.2f over %d rounds\n",
				enc, qos, len(msgs), ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1], rounds)
		}
	}
}
