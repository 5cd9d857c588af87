//go:build !hil

package console

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// The browser test drives Debian's chromium (a peer provisioned by
// hil/apt.go) through the DevTools protocol. It fails, not skips, when
// chromium is missing. It runs on the host only (!hil): chromium in the
// rig's emulated guest would take minutes; TestHILConsoleTrace covers the
// console's event stream there.

var (
	chromiumPath = flag.String("chromium", "/usr/bin/chromium", "chromium binary for the browser tests")
	shotDir      = flag.String("screenshots", "../../bin/screenshots", "where the browser test saves its PNG screenshots")
	readmeShot   = flag.String("readme-screenshot", "", "also save the screenshot of the Trace view after the soak here (make screenshots: docs/console.png)")
	soak         = flag.Duration("soak", 30*time.Second, "how long the browser test feeds 1000 frames/s to check the page's memory")
)

// browser starts a headless chromium for t and returns its context, and
// the console messages that are errors or uncaught exceptions.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	if _, err := os.Stat(*chromiumPath); err != nil {
		t.Fatalf("chromium is needed for the console's browser test (apt install chromium; make deps provisions it): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(*chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	// Start the browser and subscribe to the console before the page loads.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", *chromiumPath, err)
	}
	var mu sync.Mutex
	var errs []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s %s:%d: %s", m.Type, m.URL, m.Line, m.Text))
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("console errors: %q", errs)
			mu.Unlock()
		}
	})
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitJS polls a JavaScript condition until it is true or 30 s pass.
func waitJS(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && v {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%s): %v", what, js, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenshot saves the page as dir/name.png.
func screenshot(t *testing.T, ctx context.Context, name string, also string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(*shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(*shotDir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", p, len(png))
	if also != "" {
		if err := os.WriteFile(also, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// jsCount counts the pixels of a canvas's plot area (its upper 70 %) that
// are within 40 of the colour #RRGGBB on every channel.
const jsCount = `((sel, hex) => {
  const c = document.querySelector(sel), g = c.getContext("2d");
  const d = g.getImageData(0, 0, c.width, Math.floor(c.height * 0.7)).data;
  const r = parseInt(hex.substr(1, 2), 16), gg = parseInt(hex.substr(3, 2), 16), b = parseInt(hex.substr(5, 2), 16);
  let n = 0;
  for (let i = 0; i < d.length; i += 4)
    if (Math.abs(d[i] - r) < 40 && Math.abs(d[i + 1] - gg) < 40 && Math.abs(d[i + 2] - b) < 40) n++;
  return n;
})`

func show(t *testing.T, ctx context.Context, view string) {
	t.Helper()
	eval[bool](t, ctx, `document.querySelector('nav button[data-view=`+view+`]').click(), true`)
	waitJS(t, ctx, "view "+view, `!document.querySelector('#view-`+view+`').hidden`)
}

func TestBrowserConsole(t *testing.T) {
	// The soak checks exact trace counts: no sampling, even if a loaded
	// machine stalls the gateway and it then reads a backlog at once.
	// Restored after the rig's cleanup (cleanups run last first).
	saved := traceBudget
	t.Cleanup(func() { traceBudget = saved })
	traceBudget = 1e12
	resetBus()
	r := startRigWith(t, config.Admin{}, sendRig)
	ctx, consoleErrors := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(r.base+"/")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the event stream", `document.querySelector('#conn').classList.contains('live')`)

	// Frames: Engine (0x123, decoded), 0x7FF (not in the DBC), Wheels
	// (extended 0x18FEF100, decoded). Speed rises by 1 km/h per datagram.
	const ext = 0x80000000 | 0x18FEF100
	for i := range 20 {
		sp := 1000 + 10*i
		r.send(t, canFrame(0x123, byte(sp), byte(sp>>8), 0x50, 0x01, 0, 0, 0, byte(i)),
			canFrame(0x7FF, 1, 2), canFrame(ext, 0, 0x00, 0x19, 0, 0, 0, 0, 0))
		time.Sleep(50 * time.Millisecond)
	}
	// Five frames no route takes (no_route drops at link), then the last
	// datagram: 0x123 with Speed 123.4 km/h.
	for range 5 {
		r.send(t, canFrame(0x666, 6))
	}
	r.send(t, canFrame(0x123, 0xD2, 0x04, 0x50, 0x00, 0, 0, 0, 0xAA))
	const sent, dropped = 20*3 + 5 + 1, 5

	// Overview: the numbers shown equal /status once the traffic stopped.
	waitFor(t, "the gateway to count every frame", func() bool { return endpointOf(r.status(t), "link").FramesIn == sent })
	var st gateway.Status
	waitFor(t, "the page to show the numbers of /status", func() bool {
		st = r.status(t)
		js := `(() => { const o = {};
		  for (const tr of document.querySelectorAll('#eps tbody tr')) for (const td of tr.querySelectorAll('td[data-f]')) o['ep/' + tr.dataset.ep + '/' + td.dataset.f] = td.dataset.v;
		  for (const tr of document.querySelectorAll('#routes tbody tr')) for (const td of tr.querySelectorAll('td[data-f]')) o['rt/' + tr.dataset.route + '/' + td.dataset.f] = td.dataset.v;
		  return JSON.stringify(o); })()`
		got := eval[string](t, ctx, js)
		var want []string
		for _, e := range st.Endpoints {
			want = append(want, fmt.Sprintf(`"ep/%s/frames_in":"%d"`, e.Name, e.FramesIn), fmt.Sprintf(`"ep/%s/frames_out":"%d"`, e.Name, e.FramesOut),
				fmt.Sprintf(`"ep/%s/dropped":"%d"`, e.Name, gateway.DroppedTotal(e.Dropped)))
		}
		for _, rt := range st.Routes {
			want = append(want, fmt.Sprintf(`"rt/%s/in":"%d"`, rt.Name, rt.In), fmt.Sprintf(`"rt/%s/out":"%d"`, rt.Name, rt.Out),
				fmt.Sprintf(`"rt/%s/dropped":"%d"`, rt.Name, gateway.DroppedTotal(rt.Dropped)))
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Logf("page %s lacks %s", got, w)
				return false
			}
		}
		return true
	})
	if e := endpointOf(st, "out"); e.FramesOut != sent-dropped {
		t.Errorf("out sent %d frames, want %d", e.FramesOut, sent-dropped)
	}
	if e := endpointOf(st, "link"); e.Dropped["no_route"] != dropped {
		t.Errorf("link dropped %v, want no_route %d", e.Dropped, dropped)
	}
	waitJS(t, ctx, "link's drops by reason", `document.querySelector('#eps tr[data-ep="link"] td[data-f="dropped"]').textContent === 'no_route: 5'`)
	waitJS(t, ctx, "the rate plot to draw its line", jsCount+`('#rate-plot', PALETTE[st.status.endpoints.findIndex(e => e.name === 'link')]) > 20`)
	screenshot(t, ctx, "overview", "")

	// Trace: the IDs sent, their last data and decoded signals.
	show(t, ctx, "trace")
	waitJS(t, ctx, "four trace rows", `document.querySelectorAll('#trace tbody tr').length === 4`)
	rowJS := `(id => { const tr = document.querySelector('#trace tbody tr[data-id="' + id + '"]');
	  if (!tr) return '';
	  const kids = td => Array.from(td.children).map(e => e.textContent).join(' ');
	  return [tr.cells[0].textContent, tr.cells[3].textContent, tr.cells[4].textContent, tr.cells[7].textContent, kids(tr.cells[8]), kids(tr.cells[9])].join('|'); })`
	want := map[string]string{
		"123":      "link|Engine|21|8|D2 04 50 00 00 00 00 AA|Speed = 123.4 km/h Temp = 40 degC Gear = 0 (Park)",
		"7FF":      "link||20|2|01 02|",
		"18FEF100": "link|Wheels|20|8|00 00 19 00 00 00 00 00|WheelSpeed = 25 km/h",
		"666":      "link||5|1|06|",
	}
	for id, w := range want {
		waitJS(t, ctx, "row "+id, rowJS+`('`+id+`') === `+jsString(w))
	}
	// The filter narrows the rows: an ID, a name, an ID:mask.
	filter := func(text string, ids ...string) {
		t.Helper()
		eval[bool](t, ctx, `(() => { const f = document.querySelector('#filter'); f.value = ''; f.dispatchEvent(new Event('input')); return true; })()`)
		if text != "" {
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#filter"), text)); err != nil {
				t.Fatal(err)
			}
		}
		waitJS(t, ctx, fmt.Sprintf("filter %q to show %v", text, ids), `Array.from(document.querySelectorAll('#trace tbody tr')).map(tr => tr.dataset.id).sort().join(',') === `+jsString(strings.Join(ids, ",")))
	}
	filter("7ff", "7FF")
	filter("engine", "123")
	filter("100:700", "123", "18FEF100")
	filter("speed", "123", "18FEF100")
	filter("666", "666")
	filter("", "123", "18FEF100", "666", "7FF")
	screenshot(t, ctx, "trace", "")

	// Signals: the console chose a first signal by itself; choose Speed
	// and Temp of Engine instead, zoom to 10 s and feed a ramp.
	eval[bool](t, ctx, `document.querySelectorAll('#trace .sig.on, #trace .byte.on').forEach(e => e.click()), true`)
	waitJS(t, ctx, "no series chosen", `document.querySelectorAll('#trace .sig.on, #trace .byte.on').length === 0`)
	eval[bool](t, ctx, `document.querySelector('#trace tbody tr[data-id="123"] .sig[data-sig="Speed"]').click(), true`)
	eval[bool](t, ctx, `document.querySelector('#trace tbody tr[data-id="123"] .sig[data-sig="Temp"]').click(), true`)
	show(t, ctx, "signals")
	eval[bool](t, ctx, `document.querySelector('#zoom-in').click(), document.querySelector('#zoom-in').click(), true`)
	waitJS(t, ctx, "two series", `Array.from(document.querySelectorAll('#series-list .chip')).map(c => c.textContent).join('|') === 'Engine.Speed [km/h] ✕|Engine.Temp [degC] ✕'`)
	for i := range 30 {
		sp := 1200 + 40*i
		r.send(t, canFrame(0x123, byte(sp), byte(sp>>8), byte(0x50+i), 0x01, 0, 0, 0, 0))
		time.Sleep(100 * time.Millisecond)
	}
	waitJS(t, ctx, "the signal plot to draw Speed", jsCount+`('#sig-plot', '#0b6bcb') > 40`)
	waitJS(t, ctx, "the signal plot to draw Temp", jsCount+`('#sig-plot', '#d9480f') > 40`)
	eval[bool](t, ctx, `document.querySelector('#pause').click(), true`)
	waitJS(t, ctx, "pause", `document.querySelector('#window').textContent.includes('paused')`)
	screenshot(t, ctx, "signals", "")
	eval[bool](t, ctx, `document.querySelector('#pause').click(), true`)

	// Drops: who, why, how many, since when.
	show(t, ctx, "drops")
	waitJS(t, ctx, "the drops view", `document.querySelector('#no-drops').hidden && document.querySelectorAll('#drops tbody tr').length === 1 &&
	  Array.from(document.querySelector('#drops tbody tr').cells).slice(0, 4).map(c => c.textContent).join('|') === 'endpoint|link|no_route|5' &&
	  document.querySelector('#drops tbody tr').cells[4].textContent !== ''`)
	waitJS(t, ctx, "the drops badge", `document.querySelector('#drop-badge').textContent === '5'`)
	screenshot(t, ctx, "drops", "")

	// Soak: 1000 frames/s of 50 IDs for the soak time, Trace view open; the
	// JS heap must stay bounded and the trace must count every frame.
	show(t, ctx, "trace")
	heap := func() float64 {
		if _, err := chromedp.Call(ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		h, err := chromedp.Call(ctx, runtime.GetHeapUsage, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		return h.UsedSize
	}
	before := endpointOf(r.status(t), "link").FramesIn
	start := time.Now()
	var heaps []float64
	nextHeap := start.Add(5 * time.Second)
	soakSent := 0
	for time.Since(start) < *soak {
		due := int(time.Since(start).Seconds()*1000) - soakSent
		for due > 0 {
			n := min(due, 25)
			fs := make([]cannelloni.Frame, n)
			for i := range fs {
				k := soakSent + i
				fs[i] = canFrame(0x200+uint32(k%50), byte(k), byte(k>>8), byte(k>>16), 0, 0, 0, 0, 0)
			}
			r.send(t, fs...)
			soakSent += n
			due -= n
		}
		if time.Now().After(nextHeap) {
			heaps = append(heaps, heap())
			nextHeap = nextHeap.Add(5 * time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}
	heaps = append(heaps, heap())
	t.Logf("soak: %d frames in %v; JS heap after GC every 5 s: %.0f KiB", soakSent, time.Since(start).Round(time.Millisecond), kib(heaps))
	waitFor(t, "the gateway to count the soak's frames", func() bool {
		return endpointOf(r.status(t), "link").FramesIn >= before+uint64(soakSent)*9/10
	})
	got := endpointOf(r.status(t), "link").FramesIn - before
	if got < uint64(soakSent)*9/10 {
		t.Errorf("gateway received %d of %d frames", got, soakSent)
	}
	// The trace counts every frame the gateway received from link.
	total := endpointOf(r.status(t), "link").FramesIn
	waitJS(t, ctx, "the trace to count every frame", `Array.from(document.querySelectorAll('#trace tbody tr')).reduce((a, tr) => a + Number(tr.cells[4].textContent.replace(/,/g, '')), 0) === `+fmt.Sprint(total))
	waitJS(t, ctx, "54 trace rows", `document.querySelectorAll('#trace tbody tr').length === 54`)
	first, last := heaps[0], heaps[len(heaps)-1]
	if last > 32<<20 {
		t.Errorf("JS heap %.0f KiB after the soak: more than 32 MiB", last/1024)
	}
	if last > 1.5*first+2<<20 {
		t.Errorf("JS heap grew from %.0f KiB to %.0f KiB during the soak", first/1024, last/1024)
	}
	screenshot(t, ctx, "trace-soak", *readmeShot)

	// Send from the form: an allowed frame reaches the bus through the
	// route web → bus, and the trace shows it from web.
	waitJS(t, ctx, "the send form", `!document.querySelector('#send').hidden && document.querySelector('#send-ep').value === 'web'`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#send-id"), "1a5"), chromedp.SendKeys(chromedp.CSS("#send-data"), "de ad be ef")); err != nil {
		t.Fatal(err)
	}
	eval[bool](t, ctx, `document.querySelector('#send-btn').click(), true`)
	waitJS(t, ctx, "the form to confirm", `document.querySelector('#send-status').textContent === 'queued 1A5#DEADBEEF from web'`)
	waitFor(t, "the frame on the bus", func() bool { return strings.Join(busFrames(), " ") == "1A5#DEADBEEF" })
	waitJS(t, ctx, "the sent frame in the trace", `Array.from(document.querySelectorAll('#trace tbody tr[data-id="1A5"]')).some(tr => tr.cells[0].textContent === 'web')`)
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

func kib(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / 1024
	}
	return out
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
