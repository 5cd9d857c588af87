package busmsg

import "github.com/fieldgate/fieldgate/gateway/frame"

// A Batch gathers the frames decoded from received broker messages and
// hands them to Deliver in batches of up to len(Frames): the receive side
// the nats and mqtt kinds share. A decoder takes a slot with Next, fills
// it, and counts it by incrementing N; a slot it does not count is reused.
type Batch struct {
	Frames  []frame.Frame
	N       int
	Deliver func([]frame.Frame)
}

// Flush delivers the frames gathered so far, if any.
func (b *Batch) Flush() {
	if b.N > 0 {
		b.Deliver(b.Frames[:b.N])
		b.N = 0
	}
}

// Next returns the slot for one more frame, delivering a full batch first.
func (b *Batch) Next() *frame.Frame {
	if b.N == len(b.Frames) {
		b.Flush()
	}
	return &b.Frames[b.N]
}
