package packet

// TxRingConfig sizes a PACKET_TX_RING (TPACKET_V2 frames): WriteBatch
// copies frames into slots of a ring shared with the kernel and hands all
// of them over with one send(2), which the kernel turns into one
// dev_queue_xmit per frame without copying through a socket buffer. Zero
// fields take the defaults noted.
//
// A transmit ring needs a socket of its own: it cannot be combined with
// Config.Ring (the kernel maps both rings with one mmap and fixes the
// TPACKET version for both), so use it on a Conn opened with
// Config.SendOnly.
type TxRingConfig struct {
	// FrameSize is the size of one slot, a multiple of 16 (default 2048).
	// A slot holds a 32-byte header and the frame, so the largest frame
	// WriteBatch accepts is FrameSize - 32.
	FrameSize int
	// FrameCount is the number of slots, rounded up to fill whole pages
	// (default 1024). It bounds how many frames are in flight: when every
	// slot is still being transmitted, WriteBatch waits for one to free up.
	FrameCount int
}
