package buildinfo

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
)

func TestMain_(t *testing.T) {
	var b bytes.Buffer
	if err := Main(context.Background(), nil, &b, nil); err != nil {
		t.Fatal(err)
	}
	line := b.String()
	if !strings.HasPrefix(line, "fieldgate ") || !strings.HasSuffix(line, runtime.Version()+"\n") {
		t.Fatalf("version line %q", line)
	}
	if err := Main(context.Background(), []string{"x"}, &b, nil); err == nil {
		t.Fatal("arguments accepted")
	}
}

func TestString(t *testing.T) {
	in := Info{Version: "v1.2.3", Revision: "abc", Time: "2026-12-07T00:00:00Z", Modified: true, Go: "go1.26"}
	if got, want := in.String(), "fieldgate v1.2.3 abc 2026-12-07T00:00:00Z (modified) go1.26"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}
