//go:build !hil

package nats

import (
	"fmt"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// TestSubjectCache: an entry is built once per source, type and name
// and holds the subjects busmsg.Subject builds; a renamed source gets a
// new entry; beyond maxSubjects the spare entry is rebuilt per miss, with
// the right subjects still.
func TestSubjectCache(t *testing.T) {
	c := &subjects{s: busmsg.Subject{Prefix: "fleet.eu", Gateway: "gw", Sep: '.'}}
	e := c.get(3, frame.CANFD, "bus.a")
	if e.base != "fleet.eu.gw.bus_a.canfd." || e.batch != "fleet.eu.gw.bus_a.canfd.batch" {
		t.Fatalf("entry %+v", *e)
	}
	if c.get(3, frame.CANFD, "bus.a") != e || len(c.entries) != 1 {
		t.Fatalf("a second lookup built a new entry (%d entries)", len(c.entries))
	}
	if o := c.get(3, frame.CAN, "bus.a"); o == e || o.base != "fleet.eu.gw.bus_a.can." {
		t.Fatalf("another type: %+v", *o)
	}
	if r := c.get(3, frame.CANFD, "renamed"); r.base != "fleet.eu.gw.renamed.canfd." {
		t.Fatalf("renamed source: %+v", *r)
	}
	for i := range 2 * maxSubjects {
		ep := fmt.Sprintf("ep%d", i)
		e := c.get(uint16(100+i), frame.CAN, ep)
		want := string(c.s.AppendBase(nil, ep, frame.CAN))
		if e.base != want || e.batch != want+busmsg.BatchToken || e.ep != ep {
			t.Fatalf("source %d: %+v, want base %q", 100+i, *e, want)
		}
	}
	if len(c.entries) != maxSubjects {
		t.Fatalf("%d entries, want the bound %d", len(c.entries), maxSubjects)
	}
	// Entries made before the cache filled are still found.
	if c.get(3, frame.CANFD, "bus.a") != e {
		t.Fatal("first entry lost")
	}
}

// TestSubjectCacheNoAlloc: a hit allocates nothing.
func TestSubjectCacheNoAlloc(t *testing.T) {
	c := &subjects{s: busmsg.Subject{Prefix: "fieldgate", Gateway: "gw", Sep: '.'}}
	c.get(1, frame.CAN, "vcan0")
	if n := testing.AllocsPerRun(100, func() { c.get(1, frame.CAN, "vcan0") }); n != 0 {
		t.Fatalf("%v allocations per hit", n)
	}
}
