package can

import (
	"time"
)

// RawConfig configures a raw CAN socket. The zero value (or a nil
// *RawConfig) is the kernel's default: classic frames only, every frame
// received, no error frames, local loopback on, own frames not received.
type RawConfig struct {
	// FD enables CAN FD frames (CAN_RAW_FD_FRAMES). Without it FD frames
	// are neither received nor sendable.
	FD bool
	// Filters replace the default receive-all filter (CAN_RAW_FILTER). A
	// non-nil empty slice receives no data frames at all.
	Filters []Filter
	// JoinFilters makes a frame pass only when it matches ALL filters
	// instead of any (CAN_RAW_JOIN_FILTERS).
	JoinFilters bool
	// ErrorMask selects the error classes received as error frames
	// (CAN_RAW_ERR_FILTER; ErrMaskAll for all).
	ErrorMask ErrClass
	// Loopback sets CAN_RAW_LOOPBACK: whether frames this socket sends are
	// looped back to other sockets on this host. nil keeps the default (on).
	Loopback *bool
	// RecvOwnMsgs makes the socket receive the frames it sent itself
	// (CAN_RAW_RECV_OWN_MSGS); needs loopback on.
	RecvOwnMsgs bool
	// Timestamps fills RecvMsg.Time: from the hardware where the driver
	// gives it (SO_TIMESTAMPING raw hardware), otherwise the kernel's
	// receive time (SO_TIMESTAMPNS).
	Timestamps bool
	// RecvBuffer sets the receive buffer in bytes when non-zero
	// (SO_RCVBUFFORCE when privileged, else SO_RCVBUF).
	RecvBuffer int
}

// RecvMsg is one received frame with its metadata.
type RecvMsg struct {
	// Frame is the frame. FD frames carry the FDF flag.
	Frame FDFrame
	// FD reports that the frame arrived as a struct canfd_frame.
	FD bool
	// Time is the receive timestamp (zero without RawConfig.Timestamps).
	Time time.Time
	// HWTime is the driver's hardware timestamp alone (SO_TIMESTAMPING raw
	// hardware), zero when the driver gives none (vcan, most controllers).
	// Time already prefers it; HWTime is for callers that must tell them
	// apart, such as candump -H.
	HWTime time.Time
	// Ifindex is the interface the frame was received on.
	Ifindex int
	// Own reports a frame sent from this host (MSG_DONTROUTE): from this
	// or another local socket.
	Own bool
	// Confirm reports a frame this very socket sent (MSG_CONFIRM), only
	// seen with RecvOwnMsgs.
	Confirm bool
}

// MaxBatch is the largest number of frames one ReadBatch or WriteBatch call
// moves with a single system call; larger slices are served partially.
const MaxBatch = 64
