package config_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// bigConfig returns a valid configuration of n endpoints (n a multiple of
// 4) of four kinds, and n/2 routes between them.
func bigConfig(n int) []byte {
	var b strings.Builder
	b.WriteString("admin: {listen: \"127.0.0.1:9108\"}\nendpoints:\n")
	for i := 0; i < n; i += 4 {
		fmt.Fprintf(&b, "  bus%d: {kind: can, interface: vcan%d, filters: [\"123:7FF\"]}\n", i, i%100)
		fmt.Fprintf(&b, "  udp%d: {kind: udp, listen: \"127.0.0.1:%d\", peer: \"10.0.0.2:20000\", mtu: 1500}\n", i, 10000+i)
		fmt.Fprintf(&b, "  tcp%d: {kind: tcp, listen: \"0.0.0.0:%d\", max_clients: 4}\n", i, 10001+i)
		fmt.Fprintf(&b, "  log%d: {kind: log, path: /tmp/fg-bench/%d.log}\n", i, i)
	}
	b.WriteString("routes:\n")
	for i := 0; i < n; i += 4 {
		fmt.Fprintf(&b, "  - {name: up%d, from: [bus%d], to: [udp%d, tcp%d, log%d]}\n", i, i, i, i, i)
		fmt.Fprintf(&b, "  - {name: down%d, from: [udp%d, tcp%d], to: [bus%d], allow: [\"123:7FF\"]}\n", i, i, i, i)
	}
	return []byte(b.String())
}

// BenchmarkLoad10000Endpoints parses and validates a configuration of
// 10 000 endpoints and 5 000 routes.
func BenchmarkLoad10000Endpoints(b *testing.B) {
	src := bigConfig(10000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c, err := config.Parse("big.yaml", src)
		if err != nil {
			b.Fatal(err)
		}
		if len(c.Endpoints) != 10000 {
			b.Fatalf("%d endpoints", len(c.Endpoints))
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "endpoints/s")
}

// parseWithin parses src and fails the test if that takes longer than d
// (without waiting for a parse that runs away).
func parseWithin(t *testing.T, d time.Duration, src []byte) (*config.Config, error) {
	t.Helper()
	type result struct {
		c   *config.Config
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		c, err := config.Parse("big.yaml", src)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		t.Logf("%d bytes parsed in %v", len(src), time.Since(start))
		return r.c, r.err
	case <-time.After(d):
		t.Fatalf("parsing %d bytes takes longer than %v", len(src), d)
	}
	return nil, nil
}
