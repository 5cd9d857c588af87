package nats

import (
	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// subjects caches, per source endpoint and frame type, the subject base
// <prefix>.<gateway>.<endpoint>.<kind>. and the batch subject, built once
// instead of per message. It holds at most maxSubjects entries; beyond
// that, one spare entry is rebuilt for each message that misses.
type subjects struct {
	s       busmsg.Subject
	entries []subjectEntry
	spare   subjectEntry
}

type subjectEntry struct {
	src   uint16
	typ   frame.Type
	ep    string // the source's name when the entry was built
	base  string // <prefix>.<gateway>.<endpoint>.<kind>.
	batch string // base + "batch"
}

// maxSubjects bounds the cache: a gateway has a few endpoints and types.
const maxSubjects = 64

// get returns the entry of frames of type t from source src, named ep
// (a source renamed by a reload gets a new entry). The entry stays valid
// until the next get; a cached one for as long as the cache.
func (c *subjects) get(src uint16, t frame.Type, ep string) *subjectEntry {
	for i := range c.entries {
		e := &c.entries[i]
		if e.src == src && e.typ == t && e.ep == ep {
			return e
		}
	}
	e := &c.spare
	if c.entries == nil {
		// Never grown past this: the entries stay where they are, for
		// the pointers get returns.
		c.entries = make([]subjectEntry, 0, maxSubjects)
	}
	if len(c.entries) < maxSubjects {
		c.entries = append(c.entries, subjectEntry{})
		e = &c.entries[len(c.entries)-1]
	}
	base := c.s.AppendBase(nil, ep, t)
	*e = subjectEntry{src: src, typ: t, ep: ep, base: string(base), batch: string(append(base, busmsg.BatchToken...))}
	return e
}
