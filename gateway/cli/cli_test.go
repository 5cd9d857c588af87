package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("endpoints:\n  a: {kind: tcp, listen: \"127.0.0.1:1\"}\n  b: {kind: log, path: /tmp/b}\nroutes:\n  - {from: [a], to: [b]}\n"), 0o644)
	os.WriteFile(bad, []byte("endpoints:\n  a: {kind: tcp, listen: \"127.0.0.1:99999\"}\nroutes:\n  - {from: [a], to: [c]}\n"), 0o644)
	var out, errb bytes.Buffer
	if err := Check(context.Background(), []string{"-c", good}, &out, &errb); err != nil {
		t.Fatalf("good: %v %s", err, errb.String())
	}
	if !strings.Contains(out.String(), "ok (2 endpoints, 1 route, 0 warnings)") {
		t.Fatalf("output %q", out.String())
	}
	out.Reset()
	errb.Reset()
	err := Check(context.Background(), []string{"-c", bad}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "2 errors") {
		t.Fatalf("bad: %v", err)
	}
	for _, want := range []string{bad + ":2:26: endpoints.a.listen: invalid port \"99999\"", bad + ":4:22: routes.route0.to: unknown endpoint \"c\""} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("missing %q in\n%s", want, errb.String())
		}
	}
	if err := Run(context.Background(), []string{"-c", bad}, &out, &errb); err == nil || !strings.Contains(err.Error(), "not starting") {
		t.Fatalf("run accepted a bad config: %v", err)
	}
}
