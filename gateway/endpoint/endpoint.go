package endpoint

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"syscall"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// A Transceiver is the I/O side of one running endpoint: a CAN socket, a
// UDP link, a TCP server with its clients, a log file.
type Transceiver interface {
	// Receive reads frames and passes them to deliver in batches until ctx
	// is done or the source ends (io.EOF for finite sources such as a log
	// file being replayed). deliver must not retain the slice.
	Receive(ctx context.Context, deliver func([]frame.Frame)) error
	// Send writes frames and returns how many were written, in order. When
	// it returns fewer than len(frames), the error says why; a *DropError
	// names the drop reason for the unwritten frames.
	Send(ctx context.Context, frames []frame.Frame) (int, error)
	// Close releases the endpoint's sockets and files.
	Close() error
}

// A ReceiveGate is a Transceiver that can stop reading frames no
// user-space route consumes (a CAN socket then asks the kernel for no data
// frames), which saves a copy and a read per frame on buses the gateway
// only writes to or whose routes run in can-gw.
type ReceiveGate interface {
	SetIdle(idle bool) error
}

// A TrySender is a Transceiver that can write without waiting. TrySend
// writes a prefix of frames and returns how many it wrote; ErrWouldBlock
// (or an error matching it) means the rest must be sent by the waiting
// path. Other errors are as for Send.
type TrySender interface {
	TrySend(frames []frame.Frame) (int, error)
}

// ErrWouldBlock is what a TrySender returns for frames it could not write
// without waiting.
var ErrWouldBlock = errors.New("would block")

// WouldBlock reports whether a write error means "no room now".
func WouldBlock(err error) bool {
	return errors.Is(err, ErrWouldBlock) || errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOBUFS)
}

// A DropError tells the gateway why frames were not sent.
type DropError struct {
	Reason Reason
	Err    error
	// One means only the first unwritten frame is dropped: the gateway
	// counts it and calls Send again with the frames after it.
	One bool
}

func (e *DropError) Error() string {
	if e.Err == nil {
		return "dropped: " + e.Reason.String()
	}
	return fmt.Sprintf("dropped (%s): %v", e.Reason, e.Err)
}

func (e *DropError) Unwrap() error { return e.Err }

// DropReason returns the drop reason err names, ReasonWriteError if none.
func DropReason(err error) Reason {
	var de *DropError
	if errors.As(err, &de) {
		return de.Reason
	}
	return ReasonWriteError
}

// Env is what a Transceiver may use of the gateway.
type Env struct {
	// Name is the endpoint's name in the configuration.
	Name string
	// Stats are the endpoint's counters.
	Stats *Stats
	// Log is the endpoint's logger.
	Log *slog.Logger
	// SourceName returns the name of the endpoint with an index (the
	// Source field of a frame).
	SourceName func(uint16) string
	// BusAccess reports whether the endpoint may write (or read) a CAN ID
	// on an interface directly, as its routes allow: a socketcand client's
	// ISO-TP channel or muxfilter uses a kernel socket of its own.
	BusAccess func(iface string, id uint32, write bool) bool
}

// Drop counts n frames dropped at the endpoint for reason r.
func (e *Env) Drop(r Reason, n int) { e.Stats.Drops.Add(r, uint64(n)) }

// BatchSize is how many frames the engine hands a Send at most, and the
// batch size kinds read with.
const BatchSize = 64
