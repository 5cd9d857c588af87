package can

import (
	"encoding/binary"
	"fmt"
	"time"
)

// BCMOpcode is a broadcast manager operation (linux/can/bcm.h).
type BCMOpcode uint32

// BCM opcodes: requests to the kernel (TX_SETUP..RX_READ) and its
// notifications (TX_STATUS..RX_CHANGED).
const (
	TxSetup   BCMOpcode = 1  // create or update a (cyclic) transmission task
	TxDelete  BCMOpcode = 2  // remove a transmission task
	TxRead    BCMOpcode = 3  // read a transmission task (answered by TxStatus)
	TxSend    BCMOpcode = 4  // send one frame
	RxSetup   BCMOpcode = 5  // create or update a receive filter task
	RxDelete  BCMOpcode = 6  // remove a receive filter task
	RxRead    BCMOpcode = 7  // read a receive filter task (answered by RxStatus)
	TxStatus  BCMOpcode = 8  // reply to TxRead
	TxExpired BCMOpcode = 9  // a counted transmission finished (TxCountEvt)
	RxStatus  BCMOpcode = 10 // reply to RxRead
	RxTimeout BCMOpcode = 11 // a cyclic message stopped arriving
	RxChanged BCMOpcode = 12 // received content changed (or first frame)
)

var bcmOpNames = [...]string{"", "TX_SETUP", "TX_DELETE", "TX_READ", "TX_SEND", "RX_SETUP", "RX_DELETE",
	"RX_READ", "TX_STATUS", "TX_EXPIRED", "RX_STATUS", "RX_TIMEOUT", "RX_CHANGED"}

// String returns the kernel's name, such as "RX_CHANGED".
func (o BCMOpcode) String() string {
	if int(o) < len(bcmOpNames) && o != 0 {
		return bcmOpNames[o]
	}
	return fmt.Sprintf("BCM_OPCODE_%d", uint32(o))
}

// BCMFlags are the bcm_msg_head flags.
type BCMFlags uint32

// BCM flags.
const (
	BCMSetTimer         BCMFlags = 0x0001 // take Count, Ival1 and Ival2 from this message
	BCMStartTimer       BCMFlags = 0x0002 // start the timer with these values
	BCMTxCountEvt       BCMFlags = 0x0004 // notify TxExpired when Count reaches 0
	BCMTxAnnounce       BCMFlags = 0x0008 // send a changed frame immediately
	BCMTxCPCANID        BCMFlags = 0x0010 // copy the head's ID into the frames
	BCMRxFilterID       BCMFlags = 0x0020 // filter by ID only, no content (nframes 0 allowed)
	BCMRxCheckDLC       BCMFlags = 0x0040 // a changed length is a change
	BCMRxNoAutotimer    BCMFlags = 0x0080 // do not restart the timeout monitor on RxSetup
	BCMRxAnnounceResume BCMFlags = 0x0100 // after a timeout, announce the next frame as changed
	BCMTxResetMultiIdx  BCMFlags = 0x0200 // restart multi-frame transmission at index 0
	BCMRxRTRFrame       BCMFlags = 0x0400 // answer a remote request with the frame
	BCMCANFDFrame       BCMFlags = 0x0800 // frames are struct canfd_frame
)

// BCMHeadSize is sizeof(struct bcm_msg_head) on 64-bit Linux: two struct
// bcm_timeval of 16 bytes force 8-byte alignment, so 4 padding bytes follow
// count and the frames start at offset 56.
const BCMHeadSize = 56

// BCMMaxFrames is the most frames one BCM message may carry (MAX_NFRAMES).
const BCMMaxFrames = 256

// BCMMsg is one broadcast manager message: struct bcm_msg_head followed by
// its frames.
type BCMMsg struct {
	Opcode BCMOpcode
	Flags  BCMFlags
	// Count is the number of transmissions at Ival1 before switching to
	// Ival2 (TxSetup), with BCMSetTimer.
	Count uint32
	// Ival1 is the first interval (TxSetup) or the receive timeout
	// (RxSetup); microsecond resolution.
	Ival1 time.Duration
	// Ival2 is the cyclic interval (TxSetup) or the throttle interval for
	// RxChanged notifications (RxSetup).
	Ival2 time.Duration
	// ID is the raw can_id of the task (with EFFFlag for 29-bit).
	ID uint32
	// Frames are the frames: to send (TxSetup, TxSend), the content masks
	// (RxSetup; several frames = multiplex filter with the mux mask in the
	// first), or the received frame (RxChanged). With BCMCANFDFrame they
	// are CAN FD frames.
	Frames []FDFrame
}

// FrameSize returns the size of each frame in m: FDMTU with BCMCANFDFrame.
func (m *BCMMsg) FrameSize() int {
	if m.Flags&BCMCANFDFrame != 0 {
		return FDMTU
	}
	return MTU
}

// MarshalBinary returns the bcm_msg_head and frames as the kernel reads them.
func (m *BCMMsg) MarshalBinary() ([]byte, error) {
	if len(m.Frames) > BCMMaxFrames {
		return nil, fmt.Errorf("can: BCM %s: %d frames, at most %d", m.Opcode, len(m.Frames), BCMMaxFrames)
	}
	for _, d := range []struct {
		v    time.Duration
		name string
	}{{m.Ival1, "Ival1"}, {m.Ival2, "Ival2"}} {
		if d.v < 0 {
			return nil, fmt.Errorf("can: BCM %s: negative %s %v", m.Opcode, d.name, d.v)
		}
	}
	fs := m.FrameSize()
	b := make([]byte, BCMHeadSize+len(m.Frames)*fs)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(m.Opcode))
	ne.PutUint32(b[4:], uint32(m.Flags))
	ne.PutUint32(b[8:], m.Count)
	putTimeval(b[16:32], m.Ival1)
	putTimeval(b[32:48], m.Ival2)
	ne.PutUint32(b[48:], m.ID)
	ne.PutUint32(b[52:], uint32(len(m.Frames)))
	for i := range m.Frames {
		f := m.Frames[i]
		if fs == FDMTU {
			if f.Remote {
				return nil, fmt.Errorf("can: BCM %s: frame %d: CAN FD frames have no remote request", m.Opcode, i)
			}
			if f.Len > FDMaxLen {
				return nil, fmt.Errorf("can: BCM %s: frame %d: %w: %d", m.Opcode, i, ErrFrameLen, f.Len)
			}
			f.putFD(b[BCMHeadSize+i*fs:][:fs])
		} else {
			if f.IsFD() {
				return nil, fmt.Errorf("can: BCM %s: frame %d is CAN FD; set BCMCANFDFrame", m.Opcode, i)
			}
			if f.Len > MaxLen {
				return nil, fmt.Errorf("can: BCM %s: frame %d: %w: %d", m.Opcode, i, ErrFrameLen, f.Len)
			}
			f.putClassic(b[BCMHeadSize+i*fs:][:fs])
		}
	}
	return b, nil
}

// UnmarshalBinary decodes a message read from a BCM socket.
func (m *BCMMsg) UnmarshalBinary(b []byte) error {
	if len(b) < BCMHeadSize {
		return fmt.Errorf("can: BCM message of %d bytes is shorter than bcm_msg_head (%d)", len(b), BCMHeadSize)
	}
	ne := binary.NativeEndian
	*m = BCMMsg{
		Opcode: BCMOpcode(ne.Uint32(b[0:])),
		Flags:  BCMFlags(ne.Uint32(b[4:])),
		Count:  ne.Uint32(b[8:]),
		Ival1:  getTimeval(b[16:32]),
		Ival2:  getTimeval(b[32:48]),
		ID:     ne.Uint32(b[48:]),
	}
	n := ne.Uint32(b[52:])
	fs := m.FrameSize()
	if n > BCMMaxFrames || len(b) != BCMHeadSize+int(n)*fs {
		return fmt.Errorf("can: BCM %s: nframes %d of %d bytes each does not match the %d bytes after the head",
			m.Opcode, n, fs, len(b)-BCMHeadSize)
	}
	m.Frames = make([]FDFrame, n)
	for i := range m.Frames {
		fb := b[BCMHeadSize+i*fs:][:fs]
		if fb[4] > MaxLen && fs == MTU || fb[4] > FDMaxLen {
			return fmt.Errorf("can: BCM %s: frame %d: %w: %d", m.Opcode, i, ErrFrameLen, fb[4])
		}
		m.Frames[i].decode(fb)
	}
	return nil
}

func putTimeval(b []byte, d time.Duration) {
	us := d.Microseconds()
	binary.NativeEndian.PutUint64(b[0:8], uint64(us/1e6))
	binary.NativeEndian.PutUint64(b[8:16], uint64(us%1e6))
}

func getTimeval(b []byte) time.Duration {
	sec := int64(binary.NativeEndian.Uint64(b[0:8]))
	usec := int64(binary.NativeEndian.Uint64(b[8:16]))
	return time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
}
