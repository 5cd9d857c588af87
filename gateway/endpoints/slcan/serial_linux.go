package slcan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

var bauds = map[int]uint32{
	50: unix.B50, 75: unix.B75, 110: unix.B110, 134: unix.B134, 150: unix.B150, 200: unix.B200,
	300: unix.B300, 600: unix.B600, 1200: unix.B1200, 1800: unix.B1800, 2400: unix.B2400,
	4800: unix.B4800, 9600: unix.B9600, 19200: unix.B19200, 38400: unix.B38400,
	57600: unix.B57600, 115200: unix.B115200, 230400: unix.B230400, 460800: unix.B460800,
	500000: unix.B500000, 576000: unix.B576000, 921600: unix.B921600, 1000000: unix.B1000000,
	1152000: unix.B1152000, 1500000: unix.B1500000, 2000000: unix.B2000000, 2500000: unix.B2500000,
	3000000: unix.B3000000, 3500000: unix.B3500000, 4000000: unix.B4000000,
}

func validBaud(b int) bool { _, ok := bauds[b]; return ok }

func baudList() string {
	var l []int
	for b := range bauds {
		l = append(l, b)
	}
	sort.Ints(l)
	s := make([]string, len(l))
	for i, b := range l {
		s[i] = strconv.Itoa(b)
	}
	return strings.Join(s, ", ")
}

// makeRaw sets t to raw 8N1 at baud (0: keep the speed), as cfmakeraw
// does, without flow control, reads returning as soon as a byte is there.
func makeRaw(t *unix.Termios, baud int) {
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CRTSCTS
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if b, ok := bauds[baud]; ok {
		t.Cflag &^= unix.CBAUD | unix.CBAUDEX
		t.Cflag |= b
		t.Ispeed, t.Ospeed = uint32(baud), uint32(baud)
	}
}

// setRaw makes the terminal fd raw 8N1 at baud.
func setRaw(fd int, baud int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("not a terminal (TCGETS): %w", err)
	}
	makeRaw(t, baud)
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("set raw mode at %d baud (TCSETS): %w", baud, err)
	}
	return nil
}

// openTTY opens a terminal device non-blocking (so that its reads and
// writes take deadlines), exclusive (TIOCEXCL: a second program cannot
// open it), raw 8N1 at baud, with both queues flushed.
func openTTY(path string, baud int) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := setRaw(fd, baud); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	unix.IoctlSetInt(fd, unix.TIOCEXCL, 0)
	unix.IoctlSetInt(fd, unix.TCFLSH, unix.TCIOFLUSH)
	return os.NewFile(uintptr(fd), path), nil
}

// serialTransport opens a serial device for each connection.
type serialTransport struct {
	path string
	baud int
}

// SerialTransport returns the Transport of a serial device at path: each
// Connect opens it (raw 8N1 at baud, exclusive), so an adapter that is
// unplugged and plugged in again is reopened.
func SerialTransport(path string, baud int) Transport {
	return &serialTransport{path: path, baud: baud}
}

func (s *serialTransport) Connect(context.Context) (Conn, error) {
	f, err := openTTY(s.path, s.baud)
	if err != nil {
		return nil, err // not a nil *os.File in a non-nil Conn
	}
	return f, nil
}

func (s *serialTransport) Close() error     { return nil }
func (s *serialTransport) Describe() string { return "serial " + s.path }

// A PTY is a Transport over a pseudo-terminal that fieldgate creates: the
// program that drives the adapter fieldgate plays (slcand, python-can)
// opens its slave, Slave or the Link to it. fieldgate keeps the slave
// open itself, so that programs may open and close it in turn.
type PTY struct {
	master, slave *os.File
	path, link    string
	conn          *ptyConn
	closeOnce     sync.Once
	closed        atomic.Bool
}

// NewPTY creates a pty pair, makes the slave raw, and makes link (if not
// empty) a symbolic link to the slave, replacing a link already there.
func NewPTY(link string) (*PTY, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	master := os.NewFile(uintptr(fd), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, fmt.Errorf("unlock pty (TIOCSPTLCK): %w", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("pty number (TIOCGPTN): %w", err)
	}
	path := "/dev/pts/" + strconv.FormatUint(uint64(n), 10)
	sfd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("open pty slave: %w", &os.PathError{Op: "open", Path: path, Err: err})
	}
	slave := os.NewFile(uintptr(sfd), path)
	if err := setRaw(sfd, 0); err != nil {
		master.Close()
		slave.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &PTY{master: master, slave: slave, path: path}
	rc, err := master.SyscallConn()
	if err != nil {
		p.Close()
		return nil, err
	}
	p.conn = &ptyConn{File: master, rc: rc}
	p.conn.writeFn = p.conn.write
	if link != "" {
		if fi, err := os.Lstat(link); err == nil {
			if fi.Mode()&os.ModeSymlink == 0 {
				p.Close()
				return nil, fmt.Errorf("pty link %s exists and is not a symbolic link", link)
			}
			os.Remove(link)
		}
		if abs, err := filepath.Abs(link); err == nil {
			link = abs
		}
		if err := os.Symlink(path, link); err != nil {
			p.Close()
			return nil, fmt.Errorf("pty link: %w", err)
		}
		p.link = link
	}
	return p, nil
}

// Slave returns the path of the pty's slave (/dev/pts/N).
func (p *PTY) Slave() string { return p.path }

// Link returns the symbolic link to the slave, or "".
func (p *PTY) Link() string { return p.link }

// Describe names the slave and its link.
func (p *PTY) Describe() string {
	if p.link != "" {
		return "pty " + p.path + " (" + p.link + ")"
	}
	return "pty " + p.path
}

// Connect returns the master. Its Close does not close the pty (a next
// Connect returns it again): it interrupts a pending read.
func (p *PTY) Connect(ctx context.Context) (Conn, error) {
	if p.closed.Load() {
		return nil, os.ErrClosed
	}
	p.conn.SetReadDeadline(time.Time{})
	p.conn.SetWriteDeadline(time.Time{})
	return p.conn, nil
}

// Close removes the link and closes both ends.
func (p *PTY) Close() error {
	var err error
	p.closeOnce.Do(func() {
		p.closed.Store(true)
		if p.link != "" {
			if dst, lerr := os.Readlink(p.link); lerr == nil && dst == p.path {
				os.Remove(p.link)
			}
		}
		p.slave.Close()
		err = p.master.Close()
	})
	return err
}

// ptyConn is the master as one connection: Close only interrupts reads.
type ptyConn struct {
	*os.File
	rc        syscall.RawConn
	wdeadline atomic.Int64 // Unix nanoseconds, 0 for none

	wmu     sync.Mutex // one Write at a time; guards wb, wn, werr
	wb      []byte
	wn      int
	werr    error
	writeFn func(fd uintptr) // c.write, made once: no closure per Write
}

func (c *ptyConn) write(fd uintptr) { c.wn, c.werr = unix.Write(int(fd), c.wb) }

func (c *ptyConn) Close() error { return c.SetReadDeadline(time.Unix(1, 0)) }

func (c *ptyConn) SetWriteDeadline(t time.Time) error {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	c.wdeadline.Store(ns)
	return nil
}

// Write writes b to the master, retrying while the pty is full. It does
// not wait for the poller: a line discipline other than n_tty on the
// slave (Linux's slcan, attached by slcand) consumes the input without
// waking the master's writers, so EPOLLOUT would never come.
func (c *ptyConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	defer func() { c.wb = nil }()
	n := 0
	pause := 20 * time.Microsecond
	for n < len(b) {
		c.wb = b[n:]
		if err := c.rc.Control(c.writeFn); err != nil {
			return n, err
		}
		m, werr := c.wn, c.werr
		if m > 0 {
			n += m
			pause = 20 * time.Microsecond
			continue
		}
		if werr != nil && werr != unix.EAGAIN && werr != unix.EINTR {
			return n, &os.PathError{Op: "write", Path: c.Name(), Err: werr}
		}
		if d := c.wdeadline.Load(); d != 0 && time.Now().UnixNano() > d {
			return n, &os.PathError{Op: "write", Path: c.Name(), Err: os.ErrDeadlineExceeded}
		}
		time.Sleep(pause)
		pause = min(2*pause, 200*time.Microsecond)
	}
	return n, nil
}

func ptySupported() error { return nil }
