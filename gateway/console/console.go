package console

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
)

//go:embed assets
var assets embed.FS

// Paths the console serves on the admin port.
const (
	pathEvents = "/console/events" // Server-Sent Events
	pathAssets = "/console/"       // embedded files
	cookieName = "fieldgate_console"
)

// Console serves the web console. Mount it at "/" of the admin handler,
// so that every request passes the admin checks first, and run it with
// Run.
type Console struct {
	g     *gateway.Gateway
	admin *gateway.AdminHandler
	log   *slog.Logger
	hist  *history
	files http.Handler

	// Interval is the time between two updates of an event stream: 100 ms
	// (10 Hz) unless a test changes it before serving.
	Interval time.Duration

	mu      sync.Mutex
	clients int
	tap     *Tap
}

// New returns the console of g, served behind admin's security checks.
func New(g *gateway.Gateway, admin *gateway.AdminHandler, log *slog.Logger) *Console {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sub, _ := fs.Sub(assets, "assets")
	return &Console{g: g, admin: admin, log: log, hist: newHistory(g), files: http.StripPrefix(pathAssets, http.FileServerFS(sub)), Interval: 100 * time.Millisecond}
}

// Run samples the gateway's counters once a second for the rate plots
// and the Drops view, until ctx is done.
func (c *Console) Run(ctx context.Context) { c.hist.run(ctx) }

// enabled reports whether the configuration enables the console.
func (c *Console) enabled() bool {
	cfg := c.g.Config()
	return cfg == nil || !cfg.Admin.Console.Disabled
}

// ServeHTTP serves the page, its assets and the event stream. The admin
// handler has checked Host and Origin already; beyond loopback the console
// also needs the admin token (see authorized).
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !c.enabled() {
		http.NotFound(w, r)
		return
	}
	if r.URL.Path == pathSend {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "fieldgate console: use POST", http.StatusMethodNotAllowed)
			return
		}
		if c.authorized(w, r) {
			c.send(w, r)
		}
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "fieldgate console: read-only: use GET", http.StatusMethodNotAllowed)
		return
	}
	if !c.authorized(w, r) {
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	switch {
	case r.URL.Path == "/":
		h.Set("Cache-Control", "no-cache")
		b, err := assets.ReadFile("assets/index.html")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	case r.URL.Path == pathEvents:
		c.events(w, r)
	case strings.HasPrefix(r.URL.Path, pathAssets) && !strings.HasSuffix(r.URL.Path, "/"):
		h.Set("Cache-Control", "no-cache")
		c.files.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// authorized checks the admin token beyond loopback: the console shows
// every frame's data, more than /status does. A browser cannot send an
// Authorization header with a page load, so the token also comes as
// ?token= on the first load, which sets a cookie (HttpOnly, SameSite
// Strict, Secure over TLS) and redirects to the URL without it.
func (c *Console) authorized(w http.ResponseWriter, r *http.Request) bool {
	sec := c.admin.Security()
	if sec.Loopback() {
		return true
	}
	if !sec.HasToken() {
		http.Error(w, "fieldgate console: refused: the admin address is beyond loopback and admin.token_file is not configured", http.StatusForbidden)
		return false
	}
	if tok := r.URL.Query().Get("token"); tok != "" {
		if !sec.CheckToken(tok) {
			http.Error(w, "fieldgate console: refused: wrong admin token", http.StatusUnauthorized)
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tok, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
		u := *r.URL
		q := u.Query()
		q.Del("token")
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return false
	}
	if auth := r.Header.Get("Authorization"); len(auth) > 7 && strings.EqualFold(auth[:7], "Bearer ") && sec.CheckToken(auth[7:]) {
		return true
	}
	if ck, err := r.Cookie(cookieName); err == nil && sec.CheckToken(ck.Value) {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="fieldgate admin"`)
	http.Error(w, "fieldgate console: refused: beyond loopback the console needs the admin token: open /?token=TOKEN once (the token of admin.token_file)", http.StatusUnauthorized)
	return false
}

// attach counts a new event stream and returns the tap, installing it in
// the engine for the first.
func (c *Console) attach() *Tap {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clients++
	if c.tap == nil {
		c.tap = newTap()
		c.g.SetTap(c.tap)
	}
	return c.tap
}

// detach counts an event stream gone; the last one removes the tap, so
// that without a browser the engine traces nothing.
func (c *Console) detach() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clients--
	if c.clients == 0 {
		c.g.SetTap(nil)
		c.tap = nil
	}
}

// Clients returns the number of connected event streams.
func (c *Console) Clients() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clients
}

// hello is the first event of a stream: the history the plots start from.
type hello struct {
	History []sample       `json:"history"`
	Status  gateway.Status `json:"status"`
	Drops   []Drop         `json:"drops"`
	DBC     string         `json:"dbc,omitempty"`
	Hz      float64        `json:"hz"`
	// Send lists the console endpoints the send form may use (none:
	// sending is off).
	Send []string `json:"send,omitempty"`
}

// statusEvent is sent once per new one-second sample.
type statusEvent struct {
	Sample sample         `json:"sample"`
	Status gateway.Status `json:"status"`
	Drops  []Drop         `json:"drops"`
}

// traceEvent carries the trace rows that changed. It documents the JSON
// that traceView.appendTrace writes; the tests decode events into it.
type traceEvent struct {
	Rows     []Row  `json:"rows"`
	Overflow uint64 `json:"overflow,omitempty"`
	T        int64  `json:"t"` // Unix milliseconds
}

// events streams updates to one browser: hello, then status events once a
// second and trace events at most every Interval, until the browser goes
// or the listener stops.
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	tap := c.attach()
	defer c.detach()
	v := &traceView{tap: tap, name: c.g.EndpointName}
	dbcFile := ""
	if cfg := c.g.Config(); cfg != nil && cfg.Admin.Console.DB != nil {
		v.dbc, dbcFile = cfg.Admin.Console.DB, cfg.Admin.Console.DBC
	}
	hist, st, drops, seq := c.hist.snapshot()
	interval := c.Interval
	if interval < 100*time.Millisecond {
		interval = 100 * time.Millisecond // never more than 10 Hz
	}
	// Every tick's events are written into buf, reused, and reach the
	// connection in one write.
	var buf []byte
	add := func(event string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			c.log.Debug("console event", "err", err)
			return
		}
		buf = appendEvent(buf, event, b)
	}
	ctx := r.Context()
	write := func(b []byte) bool {
		_, err := w.Write(b)
		return err == nil && rc.Flush() == nil
	}
	if out, done, closeConn, ok := hijackStream(ctx, w, r); ok {
		defer closeConn()
		ctx = done
		write = func(b []byte) bool {
			_, err := out.Write(b)
			return err == nil
		}
	}
	flush := func() bool {
		if len(buf) == 0 {
			return true
		}
		ok := write(buf)
		buf = buf[:0]
		return ok
	}
	add("hello", hello{History: hist, Status: st, Drops: drops, DBC: dbcFile, Hz: float64(time.Second) / float64(interval), Send: c.sendEndpoints()})
	if !flush() {
		return
	}
	// A read is due every interval: the tap wakes the stream with the
	// first batch received after that (see Tap.arm); with no frames, the
	// timer wakes it every idleInterval.
	timer := time.NewTimer(interval)
	defer timer.Stop()
	idleInterval := interval * 5 / 2
	all := true
	var trace []byte
	last := time.Now()
	tap.arm(last.Add(interval).UnixNano())
	for {
		select {
		case <-ctx.Done():
			return
		case <-tap.wake:
		case <-timer.C:
		}
		now := time.Now()
		if early := last.Add(interval).Sub(now); early > 0 {
			// A frame stamped ahead of this clock, or a wake-up another
			// stream asked for: wait for the timer (not re-arming the tap,
			// so that such frames cannot wake the stream per batch).
			timer.Reset(early)
			continue
		}
		last = now
		tap.arm(now.Add(interval).UnixNano())
		timer.Reset(idleInterval)
		if c.hist.seqNow() != seq {
			smp, st, drops, n := c.hist.latest()
			seq = n
			add("status", statusEvent{Sample: smp, Status: st, Drops: drops})
		}
		var rows int
		trace, rows = v.appendTrace(trace[:0], now, all)
		all = false
		if rows > 0 {
			buf = appendEvent(buf, "trace", trace)
		}
		if !flush() {
			return
		}
	}
}

// appendEvent appends a Server-Sent Event named event whose data is the
// single-line data.
func appendEvent(b []byte, event string, data []byte) []byte {
	b = append(b, "event: "...)
	b = append(b, event...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}
