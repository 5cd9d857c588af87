//go:build !hil

package nats_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// TestSubjectsAndHeaders reads what the endpoint publishes with a plain
// nats.go subscriber: the subject of each frame, the headers, and the
// payload byte for byte (json: one object per frame; binary: the frames
// of a batch with several IDs under .batch, one ID under its own subject).
func TestSubjectsAndHeaders(t *testing.T) {
	for _, enc := range []string{"json", "binary"} {
		t.Run(enc, func(t *testing.T) {
			port := gatewaytest.FreePort(t, "tcp")
			g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  bus.%[1]s: {kind: test-source}
  pub: {kind: nats, prefix: fleet.eu, gateway: bench1, encoding: %[1]s, server: {listen: "127.0.0.1:%[2]d"}}
routes:
  - {name: r, from: [bus.%[1]s], to: [pub]}
`, enc, port))
			waitConnected(t, g, "pub")
			nc, err := natsio.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			sub, err := nc.SubscribeSync("fleet.eu.bench1.>")
			if err != nil {
				t.Fatal(err)
			}
			nc.Flush()
			fs := []frame.Frame{
				{Type: frame.CAN, ID: 0x123, Len: 2, Time: 1000},
				{Type: frame.CAN, ID: frame.CANEFFFlag | 0x18DAF110, Len: 1, Time: 2000},
				{Type: frame.J1939, ID: 0xFECA, Addr: 0x80, Flags: 0xFF, Len: 1, Time: 3000},
			}
			fs[0].Data[0], fs[0].Data[1], fs[1].Data[0], fs[2].Data[0] = 0xA1, 0xB2, 0x55, 0x77
			gatewaytest.Inject(t, "bus."+enc, fs[:2])
			time.Sleep(100 * time.Millisecond) // a batch of its own
			gatewaytest.Inject(t, "bus."+enc, fs[2:])
			var wants []want
			if enc == "json" {
				for i := range fs {
					wants = append(wants, want{
						subj: string((&busmsg.Subject{Prefix: "fleet.eu", Gateway: "bench1", Sep: '.'}).Append(nil, "bus.json", &fs[i])),
						seq:  strconv.Itoa(i + 1), time: strconv.FormatInt(fs[i].Time, 10),
						data: busmsg.AppendJSON(nil, &fs[i], uint64(i+1))})
				}
				if wants[0].subj != "fleet.eu.bench1.bus_json.can.123" || wants[2].subj != "fleet.eu.bench1.bus_json.j1939.0FECA" {
					t.Fatalf("subjects %q %q", wants[0].subj, wants[2].subj)
				}
			} else {
				// The queue hands the first two frames over in one batch
				// or, if the writer woke in between, in two.
				wants = append(wants, binaryWants(t, sub, fs)...)
			}
			var session string
			for i, w := range wants {
				m := w.m
				if m == nil {
					if m, err = sub.NextMsg(5 * time.Second); err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
				}
				if m.Subject != w.subj || string(m.Data) != string(w.data) {
					t.Errorf("message %d: %s %q, want %s %q", i, m.Subject, m.Data, w.subj, w.data)
				}
				h := m.Header
				if h.Get(busmsg.HeaderGateway) != "bench1" || h.Get(busmsg.HeaderSeq) != w.seq || h.Get(busmsg.HeaderTime) != w.time ||
					h.Get(busmsg.HeaderEncoding) != enc || len(h.Get(busmsg.HeaderSession)) != 16 || h.Get(natsio.MsgIdHdr) != "" {
					t.Errorf("message %d: headers %v", i, h)
				}
				if i > 0 && h.Get(busmsg.HeaderSession) != session {
					t.Errorf("session changed: %v", h)
				}
				session = h.Get(busmsg.HeaderSession)
			}
		})
	}
}

type want struct {
	subj, seq, time string
	data            []byte
	m               *natsio.Msg
}

// binaryWants reads binary messages until they hold len(fs) frames and
// returns what each must be: the re-encoding of fs from its first frame,
// under the batch subject when its frames have several IDs.
func binaryWants(t *testing.T, sub *natsio.Subscription, fs []frame.Frame) []want {
	t.Helper()
	var out []want
	for k := 0; k < len(fs); {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("after %d frames: %v", k, err)
		}
		bm, err := busmsg.ParseBinary(m.Data)
		if err != nil || k+bm.N > len(fs) {
			t.Fatalf("message %q: %v", m.Data, err)
		}
		b := busmsg.BeginBinary(nil, uint64(k+1), fs[k].Time)
		ids := map[string]bool{}
		for i := k; i < k+bm.N; i++ {
			b, _ = busmsg.AppendBinary(b, &fs[i])
			ids[string(busmsg.AppendID(nil, &fs[i]))] = true
		}
		subj := (&busmsg.Subject{Prefix: "fleet.eu", Gateway: "bench1", Sep: '.'}).AppendBase(nil, "bus.binary", fs[k].Type)
		if len(ids) > 1 {
			subj = append(subj, busmsg.BatchToken...)
		} else {
			subj = busmsg.AppendID(subj, &fs[k])
		}
		out = append(out, want{subj: string(subj), seq: strconv.Itoa(k + 1), time: strconv.FormatInt(fs[k].Time, 10), data: b, m: m})
		k += bm.N
	}
	if out[0].subj != "fleet.eu.bench1.bus_binary.can.batch" && out[0].subj != "fleet.eu.bench1.bus_binary.can.123" {
		t.Errorf("first subject %s", out[0].subj)
	}
	return out
}
