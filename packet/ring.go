package packet

// Block is one TPACKET_V3 ring block handed over by the kernel: a batch of
// packets read without a system call each. Iterate with Next; the packets'
// Data alias the ring and stay valid until Release hands the block back to
// the kernel.
type Block struct {
	block
}

// Len returns the number of packets in the block.
func (b *Block) Len() int { return b.count }

// Remaining returns the number of packets Next has not returned yet.
func (b *Block) Remaining() int { return b.remaining }
