// Package cli implements the gateway's subcommands: "fieldgate run",
// "check", "reload" and "status".
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/console"
	"github.com/fieldgate/fieldgate/internal/cmdline"
	// The endpoint kinds this binary offers.
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/all"
)

// DefaultConfig is the configuration file used without -c.
const DefaultConfig = "/etc/fieldgate/fieldgate.yaml"

// Check validates a configuration file: "fieldgate check -c FILE".
func Check(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, file := checkFlags(stderr)
	if err := cmdline.Parse(fs, args); err != nil {
		return err
	}
	if err := cmdline.NoArgs(fs); err != nil {
		return err
	}
	cfg, err := loadConfig(ctx, *file)
	if cfg != nil {
		for _, w := range cfg.Warnings {
			fmt.Fprintf(stderr, "warning: %v\n", w)
		}
	}
	if err != nil {
		var es config.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				fmt.Fprintf(stderr, "error: %v\n", e)
			}
			return fmt.Errorf("%s: %s", *file, plural(len(es), "error"))
		}
		return err
	}
	for _, a := range cfg.Admissions {
		fmt.Fprintln(stdout, a)
	}
	fmt.Fprintf(stdout, "%s: ok (%s, %s, %s)\n", *file, plural(len(cfg.Endpoints), "endpoint"), plural(len(cfg.Routes), "route"), plural(len(cfg.Warnings), "warning"))
	return nil
}

// Run runs the gateway: "fieldgate run -c FILE".
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, file, level, format := runFlags(stderr)
	if err := cmdline.Parse(fs, args); err != nil {
		return err
	}
	if err := cmdline.NoArgs(fs); err != nil {
		return err
	}
	cfg, err := loadConfig(ctx, *file)
	if err != nil {
		var es config.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				fmt.Fprintf(stderr, "error: %v\n", e)
			}
			return fmt.Errorf("%s has %s; not starting (run fieldgate check -c %s)", *file, plural(len(es), "error"), *file)
		}
		return err
	}
	if *level != "" {
		cfg.Log.Level = *level
	}
	if *format != "" {
		cfg.Log.Format = *format
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		log.Warn("config", "warning", w.Error())
	}
	sec, err := gateway.NewAdminSecurity(cfg.Admin)
	if err != nil {
		return fmt.Errorf("%s: %w; not starting", *file, err)
	}
	g := gateway.New(log)
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := g.Start(runCtx, cfg); err != nil {
		return err
	}
	admin := &adminListener{log: log, parent: runCtx}
	var handler *gateway.AdminHandler
	// reloadMu serialises reloads (SIGHUP and POST /reload) and guards
	// admin's fields.
	var reloadMu sync.Mutex
	reload := func() error {
		reloadMu.Lock()
		defer reloadMu.Unlock()
		gateway.Notify("RELOADING=1")
		defer gateway.Notify("READY=1")
		nc, err := loadConfig(ctx, *file)
		if err != nil {
			log.Error("reload refused: configuration has errors", "file", *file, "err", err)
			return err
		}
		for _, w := range nc.Warnings {
			log.Warn("config", "warning", w.Error())
		}
		nsec, err := gateway.NewAdminSecurity(nc.Admin)
		if err != nil {
			log.Error("reload refused", "file", *file, "err", err)
			return fmt.Errorf("%s: %w", *file, err)
		}
		// The admin listener moves first: if the new address cannot be
		// bound, nothing of the new configuration is applied.
		prevSec, prev, prevTLS := handler.Security(), admin.addr, admin.tls
		handler.SetSecurity(nsec)
		moved := nc.Admin.Listen != prev || nsec.TLS() != prevTLS
		if moved {
			if err := admin.move(nc.Admin.Listen, nsec.TLS(), handler); err != nil {
				handler.SetSecurity(prevSec)
				log.Error("reload refused", "file", *file, "field", "admin.listen", "err", err)
				return fmt.Errorf("%s: admin.listen: %w", *file, err)
			}
		}
		if err := g.Reload(nc); err != nil {
			log.Error("reload failed", "err", err)
			handler.SetSecurity(prevSec)
			if moved {
				admin.move(prev, prevTLS, handler) // back to where it was
			}
			return err
		}
		return nil
	}
	handler = g.AdminHandler(reload)
	handler.SetSecurity(sec)
	con := console.New(g, handler, log)
	go con.Run(runCtx)
	handler.Handle("/", con)
	reloadMu.Lock()
	err = admin.move(cfg.Admin.Listen, sec.TLS(), handler)
	reloadMu.Unlock()
	if err != nil {
		g.Shutdown()
		return listenError(*file, "admin.listen", cfg.Admin.Listen, err)
	}
	gateway.Notify("READY=1\nSTATUS=forwarding")
	log.Info("gateway running", "config", *file, "pid", os.Getpid())
	var finErr error // a run-ending source's error (exit_on_eof)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			log.Info("SIGHUP: reloading", "file", *file)
			reload()
			continue
		case <-ctx.Done():
		case <-g.Finished():
			log.Info("every exit_on_eof source finished and the queues are drained: stopping")
			finErr = g.FinishError()
		}
		break
	}
	gateway.Notify("STOPPING=1")
	log.Info("stopping: draining queues", "deadline", cfg.DrainTimeout)
	g.Shutdown()
	st := g.Status()
	for _, r := range st.Routes {
		log.Info("route summary", "route", r.Name, "in", r.In, "out", r.Out, "dropped", gateway.DroppedTotal(r.Dropped))
	}
	fmt.Fprintln(stdout, "final counters:")
	PrintStatus(stdout, &st, nil, 0)
	if finErr != nil {
		return fmt.Errorf("exit_on_eof source failed: %w", finErr)
	}
	return nil
}

func newLogger(l config.Log, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(l.Level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", l.Level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch l.Format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: use text or json", l.Format)
}

// adminListener is the admin HTTP listener, which a reload can move.
type adminListener struct {
	log    *slog.Logger
	parent context.Context
	addr   string             // configured address, "" when disabled
	tls    bool               // served over TLS
	cancel context.CancelFunc // stops the current listener
}

// move serves h on addr instead of the current address ("" disables),
// over TLS when useTLS is set. On failure the current listener keeps
// serving. An address that conflicts with the current one (same port) is
// bound after the current listener is closed, and the old one is restored
// if that fails.
func (a *adminListener) move(addr string, useTLS bool, h *gateway.AdminHandler) error {
	if addr == a.addr && useTLS == a.tls && a.cancel != nil {
		return nil
	}
	old, oldTLS, oldCancel := a.addr, a.tls, a.cancel
	stopOld := func() {
		if oldCancel != nil {
			// Asynchronous: a reload requested over HTTP runs inside
			// one of the old server's handlers.
			go oldCancel()
		}
	}
	if addr == "" {
		stopOld()
		a.addr, a.tls, a.cancel = "", false, nil
		a.log.Info("admin listener disabled")
		return nil
	}
	ctx, cancel := context.WithCancel(a.parent)
	bound, err := gateway.ServeAdmin(ctx, addr, h, useTLS)
	if err != nil && oldCancel != nil && errors.Is(err, syscall.EADDRINUSE) {
		// Probably our own listener on the same port: close it first.
		oldCancel()
		oldCancel = nil
		time.Sleep(50 * time.Millisecond)
		if bound, err = gateway.ServeAdmin(ctx, addr, h, useTLS); err != nil {
			octx, ocancel := context.WithCancel(a.parent)
			if _, rerr := gateway.ServeAdmin(octx, old, h, oldTLS); rerr == nil {
				a.cancel = ocancel
			} else {
				ocancel()
				a.addr, a.tls, a.cancel = "", false, nil
				a.log.Error("admin listener lost", "addr", old, "err", rerr)
			}
		}
	}
	if err != nil {
		cancel()
		return err
	}
	stopOld()
	a.addr, a.tls, a.cancel = addr, useTLS, cancel
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	a.log.Info("admin listening", "addr", bound.String(), "scheme", scheme, "paths", "/metrics /healthz /status /reload")
	return nil
}

// Reload asks a running gateway to re-read its configuration.
func Reload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, af := reloadFlags(stderr)
	if err := cmdline.Parse(fs, args); err != nil {
		return err
	}
	if err := cmdline.NoArgs(fs); err != nil {
		return err
	}
	ac, err := af.client(true)
	if err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ac.base+"/reload", nil)
	resp, err := ac.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reload refused: %s", strings.TrimSpace(string(body)))
	}
	fmt.Fprint(stdout, string(body))
	return nil
}

// Status prints the endpoint and route table of a running gateway. The
// rates come from two samples: -s apart, or the refreshes of -w.
func Status(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := statusFlags(stderr)
	if err := cmdline.Parse(fs, args); err != nil {
		return err
	}
	if err := cmdline.NoArgs(fs); err != nil {
		return err
	}
	if *o.watch < 0 || *o.sample < 0 || *o.count < 0 {
		return cmdline.Usagef("-w, -s and -n cannot be negative (see fieldgate status -h)")
	}
	ac, err := o.admin.client(false)
	if err != nil {
		return err
	}
	if *o.json {
		_, raw, err := fetchStatus(ctx, ac)
		if err != nil {
			return err
		}
		_, err = stdout.Write(raw)
		return err
	}
	if *o.watch <= 0 {
		st, prev, err := sampleTwice(ctx, ac, *o.sample)
		if err != nil {
			return err
		}
		PrintStatus(stdout, st, prev, sampleGap(prev, st, *o.sample))
		return nil
	}
	var prev *gateway.Status
	var prevT time.Time
	for i := 0; ; i++ {
		st, _, err := fetchStatus(ctx, ac)
		if err != nil {
			return err
		}
		if isTerminal(stdout) {
			fmt.Fprint(stdout, "\x1b[H\x1b[2J")
		}
		PrintStatus(stdout, st, prev, sampleGap(prev, st, time.Since(prevT)))
		if *o.count > 0 && i+1 >= *o.count {
			return nil
		}
		prev, prevT = st, time.Now()
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*o.watch):
		}
	}
}

// sampleTwice fetches the status, waits gap and fetches it again, and
// returns the second sample with the first. With gap 0, or when ctx ends
// while it waits, it returns one sample and a nil first.
func sampleTwice(ctx context.Context, ac *adminClient, gap time.Duration) (st, first *gateway.Status, err error) {
	first, _, err = fetchStatus(ctx, ac)
	if err != nil || gap <= 0 {
		return first, nil, err
	}
	select {
	case <-ctx.Done():
		return first, nil, nil
	case <-time.After(gap):
	}
	st, _, err = fetchStatus(ctx, ac)
	if err != nil {
		return nil, nil, err
	}
	return st, first, nil
}

// sampleGap is the time between two samples: the difference of the
// gateway's uptimes (measured where the counters are), or local if that
// is not positive (a restarted gateway).
func sampleGap(prev, st *gateway.Status, local time.Duration) time.Duration {
	if prev == nil {
		return 0
	}
	if d := st.Uptime - prev.Uptime; d > 0 {
		return time.Duration(d * float64(time.Second))
	}
	return local
}

// plural is "1 route", "2 routes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func fetchStatus(ctx context.Context, ac *adminClient) (*gateway.Status, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ac.base+"/status", nil)
	resp, err := ac.do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("status from %s: %s: %s", ac.base, resp.Status, strings.TrimSpace(string(raw)))
	}
	var st gateway.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, nil, fmt.Errorf("status from %s: %w", ac.base, err)
	}
	return &st, raw, nil
}

// fmtBus formats an endpoint's bus load: a percentage of the bit rate, or
// kbit/s on interfaces without one (vcan), or "-".
func fmtBus(e gateway.EndpointStatus) string {
	switch {
	case e.BusLoad == nil:
		return "-"
	case *e.BusLoad >= 0:
		return fmt.Sprintf("%.1f%%", *e.BusLoad*100)
	}
	return fmt.Sprintf("%.0fkbit/s", e.BusBPS/1000)
}

func fmtDrops(m map[string]uint64) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func fmtLat(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return "≤" + d.String()
}

// PrintStatus prints st as two tables; with prev it adds rates.
func PrintStatus(w io.Writer, st, prev *gateway.Status, dt time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "config %s, up %.0fs\n\n", st.File, st.Uptime)
	fmt.Fprintln(tw, "ENDPOINT\tKIND\tIN\tOUT\tIN/s\tOUT/s\tQUEUE\tPEERS\tBUS\tDROPPED")
	rate := func(now, before uint64) string {
		if prev == nil || dt <= 0 || now < before {
			return "-"
		}
		return fmt.Sprintf("%.0f", float64(now-before)/dt.Seconds())
	}
	for _, e := range st.Endpoints {
		var pin, pout uint64
		if prev != nil {
			for _, p := range prev.Endpoints {
				if p.Name == e.Name {
					pin, pout = p.FramesIn, p.FramesOut
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%d\t%d\t%s\t%s\n", e.Name, e.Kind, e.FramesIn, e.FramesOut, rate(e.FramesIn, pin), rate(e.FramesOut, pout), e.Queue, e.Peers, fmtBus(e), fmtDrops(e.Dropped))
	}
	printBrokers(tw, st)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "ROUTE\tFROM\tTO\tIN\tOUT\tOUT/s\tP50\tP99\tPATH\tDROPPED")
	for _, r := range st.Routes {
		var pout uint64
		if prev != nil {
			for _, p := range prev.Routes {
				if p.Name == r.Name {
					pout = p.Out
				}
			}
		}
		path := "user"
		if r.Offloaded {
			path = "kernel"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Name, strings.Join(r.From, ","), strings.Join(r.To, ","), r.In, r.Out, rate(r.Out, pout), fmtLat(r.P50), fmtLat(r.P99), path, fmtDrops(r.Dropped))
	}
	tw.Flush()
}

// printBrokers prints the broker connections of st's endpoints (nats),
// if any: server, state and for how long, reconnects, JetStream
// acknowledgements awaited and messages published again, round trip.
func printBrokers(tw io.Writer, st *gateway.Status) {
	header := false
	for _, e := range st.Endpoints {
		b := e.Broker
		if b == nil {
			continue
		}
		if !header {
			fmt.Fprintln(tw)
			fmt.Fprintln(tw, "BROKER\tURL\tSERVER\tSTATE\tRECONNECTS\tPENDING ACKS\tREPUBLISHED\tRTT")
			header = true
		}
		url, srv, rtt := b.URL, b.Server, "-"
		if url == "" {
			url = "-"
		}
		if srv == "" {
			srv = "-"
		}
		if b.RTT > 0 {
			rtt = b.RTT.Round(time.Microsecond).String()
		}
		state := fmt.Sprintf("%s %s", b.State, (time.Duration(b.StateSeconds) * time.Second).String())
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", e.Name, url, srv, state, e.Reconnects, e.PendingAcks, e.Republished, rtt)
	}
}
