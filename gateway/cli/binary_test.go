package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/internal/cmdline"
)

// The exported flag sets are the ones the commands parse: what -h prints
// is what completion and man pages get from the FlagSet.
func TestFlagSetsAreTheCommandsFlags(t *testing.T) {
	for _, c := range []struct {
		name  string
		run   func(context.Context, []string, io.Writer, io.Writer) error
		flags func() *flag.FlagSet
	}{
		{"check", Check, CheckFlags}, {"run", Run, RunFlags}, {"reload", Reload, ReloadFlags}, {"status", Status, StatusFlags},
	} {
		var out, errb bytes.Buffer
		if err := c.run(context.Background(), []string{"-h"}, &out, &errb); !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%s -h: %v", c.name, err)
		}
		h := cmdline.ParseHelp(errb.String())
		got := append([]cmdline.Flag(nil), h.Flags...)
		want := cmdline.FlagsOf(c.flags())
		for i := range got {
			got[i].Kind = 0
		}
		for i := range want {
			want[i].Kind = 0
		}
		if !reflect.DeepEqual(got, want) || len(want) == 0 {
			t.Errorf("%s: -h shows\n%+v\nthe flag set has\n%+v", c.name, got, want)
		}
		if len(h.Synopsis) != 1 || !strings.HasPrefix(h.Synopsis[0], "fieldgate "+c.name) || h.Prose == "" {
			t.Errorf("%s: synopsis %q, prose %q", c.name, h.Synopsis, h.Prose)
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 routes", 1: "1 route", 2: "2 routes"} {
		if got := plural(n, "route"); got != want {
			t.Errorf("plural(%d) = %q", n, got)
		}
	}
}

// statusServer serves /status with counters that grow by 100 frames in and
// 50 out per call, and an uptime that grows by half a second.
func statusServer(t *testing.T) (addr string, calls *atomic.Int64) {
	calls = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := uint64(calls.Add(1))
		st := gateway.Status{File: "x.yaml", Uptime: 10 + 0.5*float64(n),
			Endpoints: []gateway.EndpointStatus{{Name: "bench", Kind: "can", FramesIn: 100 * n, FramesOut: 50 * n}},
			Routes:    []gateway.RouteStatus{{Name: "r", From: []string{"bench"}, To: []string{"up"}, In: 100 * n, Out: 100 * n}}}
		json.NewEncoder(w).Encode(st)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), calls
}

// column returns the value of column col in the table row that starts
// with name.
func column(t *testing.T, out, name, col string) string {
	t.Helper()
	var header []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if f[0] == "ENDPOINT" || f[0] == "ROUTE" {
			header = f
			continue
		}
		if f[0] == name {
			for i, h := range header {
				if h == col && i < len(f) {
					return f[i]
				}
			}
		}
	}
	t.Fatalf("no %s of %s in\n%s", col, name, out)
	return ""
}

// One-shot status shows rates: two samples, the gap measured by the
// gateway's uptime (0.5 s between the two here: 100 frames in → 200/s).
func TestStatusOneShotShowsRates(t *testing.T) {
	addr, calls := statusServer(t)
	var out, errb bytes.Buffer
	if err := Status(context.Background(), []string{"-a", addr, "-s", "20ms"}, &out, &errb); err != nil {
		t.Fatalf("status: %v %s", err, errb.String())
	}
	if calls.Load() != 2 {
		t.Errorf("%d samples, want 2", calls.Load())
	}
	for _, c := range []struct{ row, col, want string }{
		{"bench", "IN", "200"}, {"bench", "IN/s", "200"}, {"bench", "OUT/s", "100"}, {"r", "OUT/s", "200"},
	} {
		if got := column(t, out.String(), c.row, c.col); got != c.want {
			t.Errorf("%s %s = %q, want %q\n%s", c.row, c.col, got, c.want, out.String())
		}
	}
	// -s 0: one sample, no rates.
	out.Reset()
	calls.Store(0)
	if err := Status(context.Background(), []string{"-a", addr, "-s", "0"}, &out, &errb); err != nil || calls.Load() != 1 {
		t.Fatalf("status -s 0: %v, %d samples", err, calls.Load())
	}
	if got := column(t, out.String(), "bench", "IN/s"); got != "-" {
		t.Errorf("one sample: IN/s %q, want -", got)
	}
	// -json: the raw status of one sample.
	out.Reset()
	calls.Store(0)
	if err := Status(context.Background(), []string{"-a", addr, "-json"}, &out, &errb); err != nil || calls.Load() != 1 || !json.Valid(out.Bytes()) {
		t.Fatalf("status -json: %v, %d samples, %q", err, calls.Load(), out.String())
	}
	// -w -n 2: the second table has rates.
	out.Reset()
	calls.Store(0)
	if err := Status(context.Background(), []string{"-a", addr, "-w", "10ms", "-n", "2"}, &out, &errb); err != nil || calls.Load() != 2 {
		t.Fatalf("status -w: %v, %d samples", err, calls.Load())
	}
	second := out.String()[strings.LastIndex(out.String(), "config x.yaml"):]
	if got := column(t, second, "bench", "IN/s"); got != "200" {
		t.Errorf("watch: IN/s %q, want 200\n%s", got, out.String())
	}
}

func TestStatusFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-w", "1x"}, `-w "1x": want a duration such as 500ms, 2s or 1m30s (see fieldgate status -h)`},
		{[]string{"-s", "-1s"}, "-w, -s and -n cannot be negative (see fieldgate status -h)"},
		{[]string{"-nosuch"}, "unknown flag -nosuch (see fieldgate status -h)"},
		{[]string{"extra"}, `unexpected argument "extra": fieldgate status takes only flags`},
	} {
		var out, errb bytes.Buffer
		err := Status(context.Background(), c.args, &out, &errb)
		var ue *cmdline.UsageError
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: %v, want a usage error %q", c.args, err, c.want)
		}
		if errb.Len() != 0 {
			t.Errorf("%q printed %q: a wrong flag gets one line, not the usage", c.args, errb.String())
		}
	}
}

// Errors say what is wrong in words, without Go's operation names.
func TestErrorsWithoutGoInternals(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	for _, c := range []struct {
		name string
		run  func() error
		want string
		is   error
	}{
		{"status, nothing listening", func() error {
			return Status(context.Background(), []string{"-a", closed}, io.Discard, io.Discard)
		}, "no gateway answers at http://" + closed + " (connection refused): is \"fieldgate run\" running", syscall.ECONNREFUSED},
		{"reload, nothing listening", func() error {
			return Reload(context.Background(), []string{"-a", closed}, io.Discard, io.Discard)
		}, "no gateway answers at http://" + closed, syscall.ECONNREFUSED},
		{"check, no file", func() error {
			return Check(context.Background(), []string{"-c", missing}, io.Discard, io.Discard)
		}, "configuration file " + missing + " does not exist (name another with -c FILE)", nil},
		{"check, a directory", func() error {
			return Check(context.Background(), []string{"-c", dir}, io.Discard, io.Discard)
		}, "configuration file " + dir + " is a directory", nil},
		{"run, no file", func() error {
			return Run(context.Background(), []string{"-c", missing}, io.Discard, io.Discard)
		}, "configuration file " + missing + " does not exist", nil},
		{"status, no file for the address", func() error {
			return Status(context.Background(), []string{"-c", missing}, io.Discard, io.Discard)
		}, "no admin address to reach: configuration file " + missing + " does not exist (name another with -c FILE); or give the address with -a HOST:PORT", nil},
	} {
		err := c.run()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
			continue
		}
		for _, internal := range []string{"dial tcp", "connect:", "open " + dir, "Get \"", "Post \"", "config: "} {
			if strings.Contains(err.Error(), internal) {
				t.Errorf("%s: %q shows %q", c.name, err, internal)
			}
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: %v does not wrap %v", c.name, err, c.is)
		}
	}
	if err := os.WriteFile(missing, []byte("x: ["), 0o000); err == nil && os.Geteuid() != 0 {
		err := Check(context.Background(), []string{"-c", missing}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("unreadable file: %v", err)
		}
	}
}

// An admin address in use stops run with the field, the address and the
// reason in words.
func TestRunAdminAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "gw.yaml")
	os.WriteFile(file, []byte("admin: {listen: \""+l.Addr().String()+"\"}\nendpoints:\n  a: {kind: tcp, listen: \"127.0.0.1:0\"}\n  l: {kind: log, path: "+dir+"/x.log}\nroutes:\n  - {from: [a], to: [l]}\n"), 0o644)
	err = Run(context.Background(), []string{"-c", file}, io.Discard, io.Discard)
	want := file + ": admin.listen " + l.Addr().String() + ": the address is in use"
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "bind:") || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("run: %v\nwant %q", err, want)
	}
}
