package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// hostCheck parses src (which must be valid) and returns what CheckHost
// finds: its errors and the warnings it added.
func hostCheck(t *testing.T, src string) (config.Errors, []*config.Error) {
	t.Helper()
	c, err := config.Parse("h.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	before := len(c.Warnings)
	err = c.CheckHost()
	var es config.Errors
	if err != nil && !errors.As(err, &es) {
		t.Fatalf("CheckHost: %v, want config.Errors", err)
	}
	return es, c.Warnings[before:]
}

func writeFile(t *testing.T, path string, b []byte, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask
		t.Fatal(err)
	}
	return path
}

// TestCheckHostKeyFiles: what the udp kind refuses to read as a key when it
// opens an endpoint, CheckHost refuses at auth.key_file's position with the
// same words; a path that is not a regular file never gets a chmod hint.
func TestCheckHostKeyFiles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("mode bits and /dev/zero")
	}
	dir := t.TempDir()
	hexKey := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		name string
		path string
		want string // "" when the key is good
	}{
		{"hex", writeFile(t, filepath.Join(dir, "hex"), []byte(hexKey+"\n"), 0o600), ""},
		{"raw", writeFile(t, filepath.Join(dir, "raw"), []byte(strings.Repeat("\xff", 32)), 0o400), ""},
		{"loose", writeFile(t, filepath.Join(dir, "loose"), []byte(hexKey), 0o640), "h.yaml:2:58: endpoints.u.auth.key_file: key file DIR/loose has mode 0640: it must not be accessible by group or others (hint: run: chmod 600 DIR/loose)"},
		{"short", writeFile(t, filepath.Join(dir, "short"), []byte("0123456789"), 0o600), "h.yaml:2:58: endpoints.u.auth.key_file: key file DIR/short: 10 hex digits, want 64 (hint: 32 random bytes"},
		{"short raw", writeFile(t, filepath.Join(dir, "shortraw"), []byte("\x00\x01\x02secret"), 0o600), "key file DIR/shortraw: want 32 raw bytes or 64 hex digits, found 9 bytes"},
		{"not hex", writeFile(t, filepath.Join(dir, "nothex"), []byte(strings.Repeat("x", 64)+"\n"), 0o600), `key file DIR/nothex: 64 characters, but 'x' at offset 0 is not a hex digit`},
		{"not hex later", writeFile(t, filepath.Join(dir, "nothex2"), []byte(hexKey[:40]+"g"+hexKey[41:]), 0o600), `key file DIR/nothex2: 64 characters, but 'g' at offset 40 is not a hex digit`},
		{"directory", dir, "endpoints.u.auth.key_file: key file DIR is a directory, not a regular file (hint: name the regular file that holds it)"},
		{"device", "/dev/zero", "endpoints.u.auth.key_file: key file /dev/zero is a character device, not a regular file (hint: name the regular file that holds it)"},
		{"missing", filepath.Join(dir, "nope"), "endpoints.u.auth.key_file: key file DIR/nope: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es, _ := hostCheck(t, fmt.Sprintf("endpoints:\n  u: {kind: udp, listen: \"127.0.0.1:1\", auth: {key_file: %q}}\nroutes: []\n", tc.path))
			if tc.want == "" {
				if es != nil {
					t.Fatalf("good key refused: %v", es)
				}
				return
			}
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if len(es) != 1 || !strings.Contains(es[0].Error(), want) {
				t.Fatalf("got %v\nwant %s", es, want)
			}
			if strings.Contains(es[0].Error(), "chmod") && (tc.name == "directory" || tc.name == "device") {
				t.Errorf("chmod hint for %s", tc.name)
			}
		})
	}
}

// TestCheckHostTLSKeys: a TLS key that group or others may read is refused
// at tls.key for tcp and socketcand endpoints.
func TestCheckHostTLSKeys(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("mode bits")
	}
	dir := t.TempDir()
	cert := writeFile(t, filepath.Join(dir, "c.pem"), []byte("not a certificate"), 0o644)
	key := writeFile(t, filepath.Join(dir, "k.pem"), []byte("not a key"), 0o644)
	es, _ := hostCheck(t, fmt.Sprintf(`endpoints:
  t: {kind: tcp, listen: "127.0.0.1:1", tls: {cert: %[1]s, key: %[2]s}}
  s:
    kind: socketcand
    bus: vcan0
    tls:
      cert: %[1]s
      key: %[2]s
  d: {kind: tcp, listen: "127.0.0.1:2", tls: {cert: %[1]s, key: %[3]s}}
routes: []
`, cert, key, dir))
	want := []string{
		fmt.Sprintf("h.yaml:2:%d: endpoints.t.tls.key: tls key %s has mode 0644: it must not be accessible by group or others (hint: run: chmod 600 %s)", 60+len(cert), key, key),
		fmt.Sprintf("h.yaml:8:12: endpoints.s.tls.key: tls key %s has mode 0644", key),
		fmt.Sprintf("endpoints.d.tls.key: tls key %s is a directory, not a regular file", dir),
	}
	if len(es) != len(want) {
		t.Fatalf("got %v", es)
	}
	for i, w := range want {
		if !strings.Contains(es[i].Error(), w) {
			t.Errorf("error %d:\n got %s\nwant %s", i, es[i], w)
		}
	}
	// With the key closed, the pair itself is checked: it is no PEM.
	os.Chmod(key, 0o600)
	es, _ = hostCheck(t, fmt.Sprintf("endpoints:\n  t: {kind: tcp, listen: \"127.0.0.1:1\", tls: {cert: %s, key: %s}}\nroutes: []\n", cert, key))
	if len(es) != 1 || !strings.Contains(es[0].Error(), "endpoints.t.tls: tls cert") {
		t.Fatalf("got %v", es)
	}
}

// TestCheckHostFiles: log and capture files must be creatable or writable
// (the error says whether the directory or the file is the problem), a
// replayed log must be readable.
func TestCheckHostFiles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /sys as an unwritable directory")
	}
	dir := t.TempDir()
	unwritable := "/sys"
	if os.Geteuid() != 0 {
		unwritable = filepath.Join(dir, "ro")
		os.Mkdir(unwritable, 0o555)
	}
	existing := writeFile(t, filepath.Join(dir, "old.log"), nil, 0o644)
	for _, tc := range []struct {
		name, ep, want string
	}{
		{"new file", "{kind: log, path: DIR/new.log}", ""},
		{"existing file", "{kind: log, path: DIR/old.log}", ""},
		{"dev null", "{kind: log, path: /dev/null}", ""},
		{"missing directory", "{kind: log, path: DIR/no/such/x.log}", "h.yaml:2:24: endpoints.e.path: directory DIR/no/such does not exist (hint: create it (mkdir -p DIR/no/such; with systemd, LogsDirectory=) or choose another path)"},
		{"unwritable directory", "{kind: capture, path: UNW/x.pcapng}", "endpoints.e.path: directory UNW is not writable: "},
		{"directory", "{kind: capture, path: DIR}", "endpoints.e.path: DIR is a directory, not a file (hint: give a file name inside it, e.g. DIR/can0.log)"},
		{"parent is a file", "{kind: log, path: DIR/old.log/x.log}", "endpoints.e.path: DIR/old.log is a regular file, not a directory"},
		{"rotating into unwritable directory", "{kind: log, path: /dev/null, rotate: {size: 1MiB}}", "endpoints.e.path: directory /dev is not writable"},
		{"replay missing", "{kind: log, mode: read, path: DIR/none.log}", "endpoints.e.path: file DIR/none.log: no such file or directory"},
		{"replay", "{kind: log, mode: read, path: DIR/old.log}", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "rotating into unwritable directory" && os.Geteuid() == 0 {
				t.Skip("root writes /dev")
			}
			ep := strings.NewReplacer("DIR", dir, "UNW", unwritable).Replace(tc.ep)
			es, _ := hostCheck(t, "endpoints:\n  e: "+ep+"\nroutes: []\n")
			want := strings.NewReplacer("DIR", dir, "UNW", unwritable).Replace(tc.want)
			if want == "" {
				if es != nil {
					t.Fatalf("refused: %v", es)
				}
				return
			}
			if len(es) != 1 || !strings.Contains(es[0].Error(), want) {
				t.Fatalf("got %v\nwant %s", es, want)
			}
		})
	}
	_ = existing
	if left, _ := filepath.Glob(filepath.Join(dir, ".fieldgate-check-*")); len(left) != 0 {
		t.Errorf("check left %v behind", left)
	}
}

// TestCheckHostInterfaces: a CAN interface that this host lacks is a
// warning at the interface field, not an error.
func TestCheckHostInterfaces(t *testing.T) {
	es, ws := hostCheck(t, `endpoints:
  a: {kind: can, interface: nosuch0}
  b: {kind: isotp, interface: nosuch1, tx_id: 1, rx_id: 2}
  c: {kind: j1939, interface: nosuch2}
  d: {kind: socketcand, bus: x, interface: nosuch3}
  e: {kind: can, interface: lo}
routes: []
`)
	if es != nil {
		t.Fatalf("errors %v", es)
	}
	want := []string{
		`h.yaml:2:29: endpoints.a.interface: interface "nosuch0" is not present on this host`,
		`h.yaml:3:31: endpoints.b.interface: interface "nosuch1" is not present on this host`,
		`h.yaml:4:31: endpoints.c.interface: interface "nosuch2" is not present`,
		`h.yaml:5:44: endpoints.d.interface: interface "nosuch3" is not present`,
	}
	if len(ws) != len(want) {
		t.Fatalf("warnings %v", ws)
	}
	for i, w := range want {
		if !strings.Contains(ws[i].Error(), w) {
			t.Errorf("warning %d:\n got %s\nwant %s", i, ws[i], w)
		}
	}
}

// TestCheckHostMergedPosition: a host error about a merged field points
// where the value is written.
func TestCheckHostMergedPosition(t *testing.T) {
	dir := t.TempDir()
	es, _ := hostCheck(t, fmt.Sprintf("x-log: &log {kind: log, path: %s/no/x.log}\nendpoints:\n  e: {<<: *log}\nroutes: []\n", dir))
	if len(es) != 1 || !strings.HasPrefix(es[0].Error(), "h.yaml:1:31: endpoints.e.path: directory") {
		t.Fatalf("got %v", es)
	}
}
