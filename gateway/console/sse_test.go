package console

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// sseEvent is one event of the stream.
type sseEvent struct {
	name string
	data []byte
}

// readEvents reads events from the stream at url into a channel until the
// response ends.
func readEvents(t *testing.T, url string) (<-chan sseEvent, func()) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s: %s, Content-Type %q", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 1024)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = []byte(line[6:])
			case line == "":
				ch <- ev
				ev = sseEvent{}
			}
		}
	}()
	return ch, func() { resp.Body.Close() }
}

func TestEventStreamTraceAndStatus(t *testing.T) {
	r := startRig(t, config.Admin{})
	if r.con.Clients() != 0 {
		t.Fatal("clients before any stream")
	}
	ch, stop := readEvents(t, r.base+pathEvents)
	ev := <-ch
	if ev.name != "hello" {
		t.Fatalf("first event %q, want hello", ev.name)
	}
	var h hello
	if err := json.Unmarshal(ev.data, &h); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(h.DBC, "console.dbc") || h.Hz > 10 {
		t.Fatalf("hello: dbc %q, %v Hz", h.DBC, h.Hz)
	}
	waitFor(t, "the tap to be installed", func() bool { return r.con.Clients() == 1 })
	// 0x123 Engine: Speed 0x03E8 × 0.1 = 100 km/h, Temp 0x50-40 = 40 degC, Gear 1 (Drive).
	r.send(t, canFrame(0x123, 0xE8, 0x03, 0x50, 0x01, 0, 0, 0, 0), canFrame(0x7FF, 1, 2))
	r.send(t, canFrame(0x123, 0xE8, 0x03, 0x50, 0x01, 0, 0, 0, 0xAA))
	rows := map[string]Row{}
	var last time.Time
	deadline := time.After(30 * time.Second)
	statuses := 0
	for rows["123"].Count < 2 || rows["7FF"].Count < 1 || statuses < 2 {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("stream ended")
			}
			switch ev.name {
			case "trace":
				if !last.IsZero() && time.Since(last) < 50*time.Millisecond {
					t.Errorf("trace events %v apart: more than 10 Hz", time.Since(last))
				}
				last = time.Now()
				var te traceEvent
				if err := json.Unmarshal(ev.data, &te); err != nil {
					t.Fatal(err)
				}
				for _, row := range te.Rows {
					rows[row.ID] = row
				}
			case "status":
				statuses++
				var se statusEvent
				if err := json.Unmarshal(ev.data, &se); err != nil {
					t.Fatal(err)
				}
				if len(se.Status.Endpoints) != 2 || len(se.Status.Routes) != 1 {
					t.Fatalf("status event: %+v", se.Status)
				}
			}
		case <-deadline:
			t.Fatalf("rows %+v after 30 s", rows)
		}
	}
	e := rows["123"]
	if e.EP != "link" || e.Type != "can" || e.Data != "e80350010000"+"00aa" || e.Len != 8 || e.Msg != "Engine" {
		t.Errorf("row 123: %+v", e)
	}
	want := map[string]Sig{"Speed": {"Speed", 100, "km/h", ""}, "Temp": {"Temp", 40, "degC", ""}, "Gear": {"Gear", 1, "", "Drive"}}
	if len(e.Sigs) != 3 {
		t.Errorf("signals %+v", e.Sigs)
	}
	for _, s := range e.Sigs {
		if w := want[s.Name]; s != w {
			t.Errorf("signal %+v, want %+v", s, w)
		}
	}
	if x := rows["7FF"]; x.Data != "0102" || x.Msg != "" || len(x.Sigs) != 0 || x.Count != 1 {
		t.Errorf("row 7FF: %+v", x)
	}
	stop()
	waitFor(t, "the tap to be removed", func() bool { return r.con.Clients() == 0 })
}

// TestEventStreamEndsWithListener: stopping the admin listener ends the
// event streams (they would otherwise outlive http.Server.Shutdown).
func TestEventStreamEndsWithListener(t *testing.T) {
	r := startRig(t, config.Admin{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := gateway.ServeAdmin(ctx, "127.0.0.1:0", r.admin, false)
	if err != nil {
		t.Fatal(err)
	}
	ch, stop := readEvents(t, "http://"+addr.String()+pathEvents)
	defer stop()
	if ev := <-ch; ev.name != "hello" {
		t.Fatalf("first event %q", ev.name)
	}
	waitFor(t, "the stream to be counted", func() bool { return r.con.Clients() == 1 })
	cancel()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				waitFor(t, "the tap to be removed", func() bool { return r.con.Clients() == 0 })
				return
			}
		case <-deadline:
			t.Fatal("the event stream outlived its listener")
		}
	}
}
