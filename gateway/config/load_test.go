package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// TestLoadIsLinear loads 10 000 endpoints well within a bound that the
// quadratic checks of earlier versions (names, binds, route lookups, "did
// you mean" over all names, one error per colliding pair) exceeded by far:
// a valid file, and one where every endpoint collides with every other and
// every route names a missing endpoint.
func TestLoadIsLinear(t *testing.T) {
	c, err := parseWithin(t, 5*time.Second, bigConfig(10000))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Endpoints) != 10000 || len(c.Routes) != 5000 {
		t.Fatalf("%d endpoints, %d routes", len(c.Endpoints), len(c.Routes))
	}

	var b strings.Builder
	b.WriteString("endpoints:\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "  u%d: {kind: udp, listen: \"0.0.0.0:20000\"}\n", i)
	}
	b.WriteString("routes:\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "  - {from: [u%d], to: [x%d]}\n", i, i)
	}
	_, err = parseWithin(t, 5*time.Second, []byte(b.String()))
	var es config.Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %v, want config.Errors", err)
	}
	// 9 999 collisions and 10 000 unknown endpoints: the first 1 000 are
	// kept, the rest counted.
	if len(es) != 1001 || es[1000].Msg != "18999 more errors not shown" {
		t.Fatalf("%d errors, last %v", len(es), es[len(es)-1])
	}
	if want := "big.yaml:3:3: endpoints.u1: binds udp 0.0.0.0:20000, which u0 (big.yaml:2:3) already binds"; !strings.Contains(es[0].Error(), want) {
		t.Errorf("first error %s, want %s", es[0], want)
	}
}

// TestLoadHugeFiles parses files of about 10 MB built to make each check
// of the loader work hard, within a bound.
func TestLoadHugeFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 40 MB")
	}
	const size = 10 << 20
	names := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s%d", prefix, i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name string
		src  func() string
		want string // in the first error
	}{
		{"long from and to lists", func() string {
			var b strings.Builder
			b.WriteString("endpoints:\n")
			for i := range 2000 {
				fmt.Fprintf(&b, "  a%d: {kind: can, interface: vcan0}\n  b%d: {kind: can, interface: vcan1}\n", i, i)
			}
			fmt.Fprintf(&b, "routes:\n  - {from: [%s], to: [%s]}\n", names("a", 2000), names("b", 2000))
			for b.Len() < size {
				fmt.Fprintf(&b, "  - {from: [%s], to: [%s]}\n", names("a", 1000), names("b", 1000))
			}
			return b.String()
		}, "route connects 2000 sources to 2000 destinations"},
		{"misspelt names", func() string {
			var b strings.Builder
			b.WriteString("endpoints:\n")
			for i := range 100000 {
				fmt.Fprintf(&b, "  endpoint%06d: {kind: can, interface: vcan0}\n", i)
			}
			b.WriteString("routes:\n")
			for i := 0; b.Len() < size; i++ {
				fmt.Fprintf(&b, "  - {from: [endpoint%06d], to: [endpoint%06dx]}\n", i%100000, i%100000)
			}
			return b.String()
		}, `unknown endpoint "endpoint000000x" (hint: did you mean "endpoint000000"?)`},
		{"unknown fields", func() string {
			var b strings.Builder
			b.WriteString("endpoints:\n  a:\n    kind: can\n    interface: vcan0\n")
			for i := 0; b.Len() < size; i++ {
				fmt.Fprintf(&b, "    fd%d: true\n", i)
			}
			b.WriteString("routes: []\n")
			return b.String()
		}, `unknown field "fd0" (hint: did you mean "fd"?)`},
		{"merge bomb", func() string {
			var b strings.Builder
			b.WriteString("x-0: &m0 {")
			for i := range 1000 {
				fmt.Fprintf(&b, "k%d: 1, ", i)
			}
			b.WriteString("kind: can}\n")
			for i := 1; i < 40; i++ {
				fmt.Fprintf(&b, "x-%d: &m%d {<<: [*m%d, *m%d], l%d: 1}\n", i, i, i-1, i-1, i)
			}
			b.WriteString("endpoints:\n")
			for i := 0; b.Len() < size; i++ {
				fmt.Fprintf(&b, "  e%d: {<<: *m39, interface: vcan0}\n", i)
			}
			b.WriteString("routes: []\n")
			return b.String()
		}, "more errors not shown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src()
			_, err := parseWithin(t, time.Minute, []byte(src))
			var es config.Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %v, want config.Errors", err)
			}
			if len(es) > 1001 {
				t.Errorf("%d errors kept", len(es))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("errors do not say %q:\n%.2000s", tc.want, err)
			}
		})
	}
}
