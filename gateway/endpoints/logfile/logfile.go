package logfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// logConn writes frames to a candump log file (candump -l format, readable
// by canplayer) with size-based rotation, or replays one as a source.
type logConn struct {
	cfg  *Config
	env  *endpoint.Env
	mu   sync.Mutex
	f    *os.File
	bw   *bufio.Writer  // the file's buffer, which w writes into
	w    *can.LogWriter // formats lines into bw
	size int64          // bytes in the file, bw's buffer not included
	ent  can.LogEntry
	// flush is the deferred flush (see Send); pending says it is armed,
	// closed that Close ran. Both under mu.
	flush   *time.Timer
	pending bool
	closed  bool
}

// bufSize is the write buffer: a burst is written 256 KiB at a time.
const bufSize = 256 << 10

// flushDelay is how long lines of a full batch may stay in the buffer
// (see Send).
const flushDelay = 100 * time.Millisecond

func open(ctx context.Context, ec *config.Endpoint, e *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	l := &logConn{cfg: cfg, env: e}
	if cfg.Mode == config.ModeRead {
		f, err := os.Open(cfg.Path)
		if err != nil {
			return nil, err
		}
		l.f = f
		return l, nil
	}
	if err := l.openWrite(); err != nil {
		return nil, err
	}
	l.flush = time.AfterFunc(time.Hour, l.timedFlush)
	l.flush.Stop()
	return l, nil
}

// timedFlush writes what a full batch left in the buffer.
func (l *logConn) timedFlush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || !l.pending {
		return
	}
	l.pending = false
	if err := l.bw.Flush(); err != nil {
		l.env.Log.Warn("log flush failed", "path", l.cfg.Path, "err", err)
	}
}

func (l *logConn) openWrite() error {
	f, err := os.OpenFile(l.cfg.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.size = f, st.Size()
	if l.bw == nil {
		l.bw = bufio.NewWriterSize(countingWriter{f, &l.size}, bufSize)
		// A *bufio.Writer of at least 4 KiB is used as it is: the lines
		// go straight into l.bw.
		l.w = can.NewLogWriter(l.bw, false)
	} else {
		l.bw.Reset(countingWriter{f, &l.size})
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n *int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	*c.n += int64(n)
	return n, err
}

// rotate renames path → path.1 → … → path.keep and starts a new file.
func (l *logConn) rotate() error {
	if err := l.bw.Flush(); err != nil {
		return err
	}
	l.f.Close()
	p := l.cfg.Path
	os.Remove(fmt.Sprintf("%s.%d", p, l.cfg.RotateKeep))
	for i := l.cfg.RotateKeep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", p, i), fmt.Sprintf("%s.%d", p, i+1))
	}
	if err := os.Rename(p, p+".1"); err != nil {
		return err
	}
	return l.openWrite()
}

func (l *logConn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ent.Iface = l.cfg.Interface
	for i := range frames {
		f := &frames[i]
		if !f.IsCAN() {
			l.bw.Flush()
			return i, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("candump logs carry only CAN frames, not %s", f.Type)}
		}
		l.ent.Time = time.Unix(0, f.Time)
		frame.ToCAN(&l.ent.Frame, f)
		if err := l.w.Write(&l.ent); err != nil {
			return i, err
		}
		if l.cfg.RotateSize > 0 && l.size+int64(l.bw.Buffered()) >= l.cfg.RotateSize {
			if err := l.rotate(); err != nil {
				return i + 1, err
			}
		}
	}
	if len(frames) == endpoint.BatchSize {
		// A full batch: more frames are likely queued behind it. The
		// buffer is written when it fills or when the queue runs short,
		// at the latest after flushDelay: one write per 256 KiB of a
		// burst instead of one per batch.
		if !l.pending {
			l.pending = true
			l.flush.Reset(flushDelay)
		}
		return len(frames), nil
	}
	l.pending = false
	return len(frames), l.bw.Flush()
}

func (l *logConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	if l.cfg.Mode != config.ModeRead {
		<-ctx.Done()
		return ctx.Err()
	}
	r := can.NewLogReader(l.f, l.cfg.Path)
	batch := make([]frame.Frame, endpoint.BatchSize)
	k := 0
	var first time.Time
	start := time.Now()
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			if k > 0 {
				deliver(batch[:k])
			}
			return io.EOF
		}
		if err != nil {
			if k > 0 {
				deliver(batch[:k])
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if l.cfg.Realtime {
			if first.IsZero() {
				first = e.Time
			}
			if wait := e.Time.Sub(first) - time.Since(start); wait > 0 {
				if k > 0 {
					deliver(batch[:k])
					k = 0
				}
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		frame.FromCAN(&batch[k], &e.Frame, e.Frame.IsFD())
		batch[k].Time = 0
		k++
		if k == len(batch) {
			deliver(batch[:k])
			k = 0
		}
	}
}

func (l *logConn) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.flush != nil {
		l.flush.Stop()
	}
	var err error
	if l.bw != nil {
		err = l.bw.Flush()
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
