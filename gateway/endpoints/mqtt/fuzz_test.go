package mqtt

import (
	"io"
	"log/slog"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// FuzzHandle feeds arbitrary topics and payloads to a subscribing
// endpoint's receiver, as binary and as json: no panic; each message is
// either delivered whole (frames counted by their sequence number) or
// counted once, as malformed or oversize; liveness topics are skipped.
func FuzzHandle(f *testing.F) {
	good := busmsg.BeginBinary(nil, 1, 5)
	fr := frame.Frame{Type: frame.CAN, ID: 0x321, Len: 1}
	good, _ = busmsg.AppendBinary(good, &fr)
	f.Add("in/gw/ep/can/321", good)
	f.Add("in/gw/ep/can/001", []byte(`{"kind":"can","id":"1","data":"01","seq":1}`))
	f.Add("in/gw/status", []byte("offline"))
	f.Add("a", []byte{1, 0})
	f.Fuzz(func(t *testing.T, topic string, data []byte) {
		for _, enc := range []string{busmsg.EncodingBinary, busmsg.EncodingJSON} {
			st := &endpoint.Stats{}
			c := &conn{cfg: &Config{Encoding: enc, MaxMessage: 4096}, env: &endpoint.Env{Stats: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
			c.rx.init(c)
			var got int
			c.rx.Deliver = func(fs []frame.Frame) {
				for i := range fs {
					if fs[i].Len > frame.MaxData || fs[i].Time != 0 {
						t.Fatalf("frame %+v", fs[i])
					}
				}
				got += len(fs)
			}
			c.rx.handle(topic, data)
			c.rx.handle(topic, data)
			c.rx.Flush()
			refused := st.Drops.Load(endpoint.ReasonMalformed) + st.Drops.Load(endpoint.ReasonOversize)
			switch {
			case got > 0 && refused > 0:
				t.Fatalf("%s: %d frames delivered and %d messages refused for one message twice", enc, got, refused)
			case got == 0 && refused != 2 && refused != 0:
				t.Fatalf("%s: %d refusals for two copies", enc, refused)
			case len(data) > 4096 && st.Drops.Load(endpoint.ReasonOversize) != 2 && !isStatus(topic):
				t.Fatalf("%s: oversize not counted", enc)
			}
		}
	})
}

func isStatus(topic string) bool {
	return topic == StatusLevel || len(topic) > len(StatusLevel) && topic[len(topic)-len(StatusLevel)-1:] == "/"+StatusLevel
}
