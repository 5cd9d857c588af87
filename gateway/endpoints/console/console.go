package console

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// Errors of Send.
var (
	ErrNotRunning = errors.New("no console endpoint of that name is running")
	ErrBusy       = errors.New("the console endpoint's backlog is full: the engine has not taken the frames sent before")
)

// Frame is a CAN or CAN FD frame sent from the console.
type Frame struct {
	ID    uint32 // with the EFF flag bit for 29-bit IDs
	FD    bool
	Flags uint8 // CAN FD flags (BRS)
	Len   uint8
	Data  [64]byte
}

// conn is one running console endpoint.
type conn struct {
	name string
	in   chan Frame
	done chan struct{}
	once sync.Once
}

var (
	mu      sync.Mutex
	running = map[string]*conn{} // by endpoint name
)

func open(ctx context.Context, cfg *config.Endpoint, env *endpoint.Env) (endpoint.Transceiver, error) {
	c := cfg.Settings.(*Config)
	mu.Lock()
	defer mu.Unlock()
	if _, ok := running[cfg.Name]; ok {
		return nil, fmt.Errorf("a console endpoint named %s runs already in this process", cfg.Name)
	}
	cn := &conn{name: cfg.Name, in: make(chan Frame, c.Backlog), done: make(chan struct{})}
	running[cfg.Name] = cn
	return cn, nil
}

// Send hands f to the running console endpoint name, without waiting.
func Send(name string, f *Frame) error {
	mu.Lock()
	cn, ok := running[name]
	mu.Unlock()
	if !ok {
		return ErrNotRunning
	}
	select {
	case <-cn.done:
		return ErrNotRunning
	case cn.in <- *f:
		return nil
	default:
		return ErrBusy
	}
}

// Receive delivers the frames sent, in batches of what is waiting.
func (c *conn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	batch := make([]frame.Frame, endpoint.BatchSize)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.done:
			return nil
		case f := <-c.in:
			n := 0
			toFrame(&batch[n], &f)
			n++
		more:
			for n < len(batch) {
				select {
				case f := <-c.in:
					toFrame(&batch[n], &f)
					n++
				default:
					break more
				}
			}
			deliver(batch[:n])
		}
	}
}

// toFrame fills dst from f.
func toFrame(dst *frame.Frame, f *Frame) {
	dst.Time, dst.ID, dst.Type, dst.Flags, dst.Addr, dst.Len = 0, f.ID, frame.CAN, 0, 0, uint16(f.Len)
	if f.FD {
		dst.Type, dst.Flags = frame.CANFD, f.Flags
	}
	copy(dst.Data[:f.Len], f.Data[:f.Len])
}

// Send refuses: a console endpoint is a source only (the engine routes
// nothing to it).
func (c *conn) Send(ctx context.Context, fs []frame.Frame) (int, error) {
	return 0, errors.New("a console endpoint is a source only")
}

// Close stops the endpoint and forgets its name.
func (c *conn) Close() error {
	c.once.Do(func() {
		close(c.done)
		mu.Lock()
		if running[c.name] == c {
			delete(running, c.name)
		}
		mu.Unlock()
	})
	return nil
}
