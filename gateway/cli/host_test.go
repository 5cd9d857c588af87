package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// lines returns the lines of s that start with prefix.
func lines(s, prefix string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// TestCheckRefusesWhatRunRefuses: a loose key file, a key file that is a
// directory, a log in a missing directory and a loose TLS key make both
// check and run fail with the same error lines, at the fields' positions;
// a missing CAN interface is a warning in both.
func TestCheckRefusesWhatRunRefuses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("mode bits")
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "psk")
	os.WriteFile(key, []byte(strings.Repeat("ab", 32)), 0o644)
	os.Chmod(key, 0o644)
	tlsKey := filepath.Join(dir, "tls.key")
	os.WriteFile(tlsKey, []byte("key"), 0o644)
	os.Chmod(tlsKey, 0o644)
	file := filepath.Join(dir, "gw.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf(`admin: {listen: ""}
endpoints:
  u: {kind: udp, listen: "127.0.0.1:0", auth: {key_file: %[1]s}}
  v: {kind: udp, listen: "127.0.0.1:1", auth: {key_file: %[2]s}}
  t: {kind: tcp, listen: "127.0.0.1:0", tls: {cert: %[2]s/c.pem, key: %[3]s}}
  l: {kind: log, path: %[2]s/missing/x.log}
  b: {kind: can, interface: nosuch0}
routes:
  - {from: [b], to: [l]}
  - {from: [u, v, t], to: [l]}
`, key, dir, tlsKey)), 0o644)
	want := []string{
		fmt.Sprintf("error: %s:3:58: endpoints.u.auth.key_file: key file %s has mode 0644: it must not be accessible by group or others (hint: run: chmod 600 %s)", file, key, key),
		fmt.Sprintf("error: %s:4:58: endpoints.v.auth.key_file: key file %s is a directory, not a regular file (hint: name the regular file that holds it)", file, dir),
		fmt.Sprintf("error: %s:5:53: endpoints.t.tls.cert: tls cert %s/c.pem: no such file or directory", file, dir),
		fmt.Sprintf("error: %s:6:24: endpoints.l.path: directory %s/missing does not exist", file, dir),
	}
	var out, check bytes.Buffer
	err := Check(context.Background(), []string{"-c", file}, &out, &check)
	if err == nil || !strings.Contains(err.Error(), "4 errors") {
		t.Fatalf("check: %v\n%s", err, check.String())
	}
	var run syncBuffer
	err = Run(context.Background(), []string{"-c", file}, &out, &run)
	if err == nil || !strings.Contains(err.Error(), "4 errors; not starting") {
		t.Fatalf("run: %v\n%s", err, run.String())
	}
	ce, re := lines(check.String(), "error: "), lines(run.String(), "error: ")
	if strings.Join(ce, "\n") != strings.Join(re, "\n") {
		t.Errorf("check and run differ:\ncheck:\n%s\nrun:\n%s", strings.Join(ce, "\n"), strings.Join(re, "\n"))
	}
	if len(ce) != len(want) {
		t.Fatalf("check:\n%s", check.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(ce[i], w) {
			t.Errorf("error %d:\n got %s\nwant %s", i, ce[i], w)
		}
	}
	wantWarn := fmt.Sprintf(`warning: %s:7:29: endpoints.b.interface: interface "nosuch0" is not present on this host`, file)
	if w := lines(check.String(), "warning: "); len(w) != 1 || !strings.HasPrefix(w[0], wantWarn) {
		t.Errorf("check warnings %q, want %s", w, wantWarn)
	}
}
