//go:build linux

package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// sendfileChunk bounds one sendfile(2) call, as the net package does.
const sendfileChunk = 4 << 20

// SendFile sends count bytes of f starting at offset (count 0: up to the
// end of the file) with sendfile(2), falling back to read and send when the
// kernel cannot splice from f (Python's socket.sendfile). It returns the
// number of bytes sent and leaves f's offset just after the last byte sent,
// as Python does. In timeout mode the timeout applies to each wait.
func (s *Socket) SendFile(f *os.File, offset, count int64) (int64, error) {
	return s.SendFileContext(nil, f, offset, count)
}

// SendFileContext is SendFile with a context.
func (s *Socket) SendFileContext(ctx context.Context, f *os.File, offset, count int64) (int64, error) {
	if f == nil {
		return 0, opError("sendfile", socketNetName(s.family), fmt.Errorf("nil file: %w", unix.EINVAL))
	}
	if offset < 0 || count < 0 {
		return 0, opError("sendfile", socketNetName(s.family), fmt.Errorf("negative offset %d or count %d: %w", offset, count, unix.EINVAL))
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return 0, opError("sendfile", socketNetName(s.family), err)
	}
	var (
		sent     int64
		sendErr  error
		fallback bool
	)
	cerr := sc.Control(func(ffd uintptr) {
		off := offset
		for count == 0 || sent < count {
			chunk := int64(sendfileChunk)
			if count > 0 {
				chunk = min(chunk, count-sent)
			}
			n, err := s.runFunc(ctx, true, "sendfile", func(fd int) (int, error) {
				return unix.Sendfile(fd, int(ffd), &off, int(chunk))
			})
			if err != nil {
				if sent == 0 && (errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ESPIPE) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP)) {
					fallback = true
					return
				}
				sendErr = err
				return
			}
			if n == 0 {
				return // end of file
			}
			sent += int64(n)
		}
	})
	if cerr != nil {
		return 0, opError("sendfile", socketNetName(s.family), cerr)
	}
	if fallback {
		return s.sendFileCopy(ctx, f, offset, count)
	}
	if _, err := f.Seek(offset+sent, io.SeekStart); err != nil && sendErr == nil {
		sendErr = opError("sendfile", socketNetName(s.family), err)
	}
	return sent, sendErr
}

// sendFileCopy is SendFile by read and send, for files sendfile(2)
// does not support (pipes, some special files): it seeks to offset when
// offset is not 0, then reads sequentially.
func (s *Socket) sendFileCopy(ctx context.Context, f *os.File, offset, count int64) (int64, error) {
	if offset != 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return 0, opError("sendfile", socketNetName(s.family), err)
		}
	}
	buf := make([]byte, 64<<10)
	var sent int64
	for count == 0 || sent < count {
		want := int64(len(buf))
		if count > 0 {
			want = min(want, count-sent)
		}
		n, rerr := f.Read(buf[:want])
		if n > 0 {
			if err := s.SendAllContext(ctx, buf[:n], 0); err != nil {
				return sent, err
			}
			sent += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return sent, opError("sendfile", socketNetName(s.family), rerr)
		}
	}
	return sent, nil
}
