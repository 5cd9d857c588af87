//go:build !hil

package nats

import (
	"testing"
	"time"
)

// TestCoalescePolicy: a quiet endpoint publishes burstMessages messages
// that are not full at once; the next waits for its slot, at most
// coalesce away; after a quiet spell the budget is back.
func TestCoalescePolicy(t *testing.T) {
	p := &publisher{c: &conn{cfg: &Config{Coalesce: 50 * time.Millisecond}}}
	for i := range burstMessages {
		if w := p.policy(); w != 0 {
			t.Fatalf("message %d of a burst waits %v", i, w)
		}
		p.charge()
	}
	if w := p.policy(); w <= 0 || w > 50*time.Millisecond {
		t.Fatalf("message after the burst waits %v, want (0, 50ms]", w)
	}
	p.armed = true
	if w := p.policy(); w != time.Nanosecond {
		t.Fatalf("armed: %v", w)
	}
	p.armed = false
	p.tat = time.Now().Add(-time.Second) // a quiet spell
	if w := p.policy(); w != 0 {
		t.Fatalf("after a quiet spell: waits %v", w)
	}
	p.c.cfg.Coalesce = 0
	for range 10 {
		p.charge()
		if w := p.policy(); w != 0 {
			t.Fatalf("coalesce 0: waits %v", w)
		}
	}
}
