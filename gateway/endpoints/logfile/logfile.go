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
	"github.com/fieldgate/fieldgate/can/canlog"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// logConn writes frames to a log file (candump -l, ASC, BLF, TRC or CSV)
// with size-based rotation, or replays one as a source.
type logConn struct {
	cfg  *Config
	env  *endpoint.Env
	mu   sync.Mutex
	f    *os.File
	bw   *bufio.Writer // the file's buffer, which w writes into
	w    canlog.Writer // formats records into bw
	size int64         // bytes in the file, bw's buffer not included
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
	if err := l.flushAll(); err != nil {
		l.env.Log.Warn("log flush failed", "path", l.cfg.Path, "err", err)
	}
}

func (l *logConn) openWrite() error {
	if l.cfg.Format == 0 {
		l.cfg.Format = canlog.FromPath(l.cfg.Path)
	}
	fm := l.cfg.Format
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if !fm.Appendable() {
		// ASC, BLF and TRC files start with a header the records are
		// relative to: an existing file is kept as path.1 (see rotate)
		// and a new one started. The BLF header is updated in place at
		// the end, which O_APPEND would not allow.
		if st, err := os.Stat(l.cfg.Path); err == nil && st.Size() > 0 {
			if err := l.shift(); err != nil {
				return err
			}
		}
		flags = os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	}
	f, err := os.OpenFile(l.cfg.Path, flags, 0o644)
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
	} else {
		l.bw.Reset(countingWriter{f, &l.size})
	}
	// Text formats use a *bufio.Writer of 64 KiB or more as it is: the
	// lines go straight into l.bw.
	l.w, err = canlog.NewAppendWriter(fm, l.bw, l.size, canlog.WriterOptions{At: f})
	if err != nil {
		f.Close()
	}
	return err
}

// buffered is what the file will hold when flushed: BLF counts its
// container's uncompressed bytes, the text formats write into bw.
func (l *logConn) buffered() int64 {
	n := int64(l.bw.Buffered())
	if l.cfg.Format == canlog.BLF {
		n += int64(l.w.Buffered())
	}
	return n
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

// rotate closes the file (with its format's trailer), renames path →
// path.1 → … → path.keep and starts a new file.
func (l *logConn) rotate() error {
	if err := l.w.Close(); err != nil {
		return err
	}
	if err := l.bw.Flush(); err != nil {
		return err
	}
	l.f.Close()
	if err := l.shift(); err != nil {
		return err
	}
	return l.openWrite()
}

// shift renames path → path.1 → … → path.keep.
func (l *logConn) shift() error {
	p := l.cfg.Path
	os.Remove(fmt.Sprintf("%s.%d", p, l.cfg.RotateKeep))
	for i := l.cfg.RotateKeep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", p, i), fmt.Sprintf("%s.%d", p, i+1))
	}
	return os.Rename(p, p+".1")
}

func (l *logConn) Send(ctx context.Context, frames []frame.Frame) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ent.Iface = l.cfg.Interface
	for i := range frames {
		f := &frames[i]
		if !f.IsCAN() {
			l.flushAll()
			return i, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: fmt.Errorf("%v logs carry only CAN frames, not %s", l.cfg.Format, f.Type)}
		}
		l.ent.Time = time.Unix(0, f.Time)
		frame.ToCAN(&l.ent.Frame, f)
		if err := l.w.Write(&l.ent); err != nil {
			if errors.Is(err, canlog.ErrUnsupported) {
				l.flushAll()
				return i, &endpoint.DropError{Reason: endpoint.ReasonUnsupported, One: true, Err: err}
			}
			return i, err
		}
		if l.cfg.RotateSize > 0 && l.size+l.buffered() >= l.cfg.RotateSize {
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
	return len(frames), l.flushAll()
}

// flushAll writes the format's buffer (BLF's container) and the file's.
func (l *logConn) flushAll() error {
	if err := l.w.Flush(); err != nil {
		return err
	}
	return l.bw.Flush()
}

func (l *logConn) Receive(ctx context.Context, deliver func([]frame.Frame)) error {
	if l.cfg.Mode != config.ModeRead {
		<-ctx.Done()
		return ctx.Err()
	}
	r, err := canlog.NewReader(l.cfg.Format, bufio.NewReaderSize(l.f, 64<<10), l.cfg.Path)
	if err != nil {
		return err
	}
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
	if l.w != nil {
		err = l.w.Close()
	}
	if l.bw != nil {
		if ferr := l.bw.Flush(); err == nil {
			err = ferr
		}
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
