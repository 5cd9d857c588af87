package packet

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// WriterConfig configures a pcapng Writer. A nil *WriterConfig means no
// rotation and the application name "fieldgate".
type WriterConfig struct {
	// Application is written as shb_userappl.
	Application string
	// RotateSize starts a new file once the current one holds at least
	// this many bytes (0: never). Only for writers from CreateFile.
	RotateSize int64
	// RotateInterval starts a new file when a packet's timestamp is this
	// far past the first packet of the current file (0: never). Only for
	// writers from CreateFile. Rotation follows capture time, so replaying
	// an old capture rotates the same way the live capture would have.
	RotateInterval time.Duration
	// MaxFiles keeps only the newest MaxFiles files, deleting older ones
	// as new ones are started (a ring buffer, like dumpcap -b files:N);
	// 0 keeps all.
	MaxFiles int
	// OnRotate, if not nil, is called with the name of each file after it
	// is completed and closed.
	OnRotate func(path string)
}

// Writer writes a pcapng file: one Section Header Block, an Interface
// Description Block per AddInterface (interfaces of different link types
// may be mixed: Ethernet and SocketCAN in one file), Enhanced Packet Blocks
// with nanosecond timestamps and Interface Statistics Blocks with drop
// counts.
//
// A Writer from CreateFile rotates: every new file starts with the SHB and
// all interfaces added so far, with the same interface ids, and the last
// statistics given for each interface are repeated at the end of the file
// they belong to, so every file stands on its own.
//
// Writer is safe for concurrent use: the gateway's endpoints may share one.
type Writer struct {
	mu     sync.Mutex
	cfg    WriterConfig
	bw     blockWriter
	ifaces []Interface
	stats  []*InterfaceStats // last stats per interface, nil if none
	closed bool

	// rotation (CreateFile only)
	path    string
	file    io.WriteCloser
	seq     int
	first   time.Time // timestamp of the current file's first packet
	files   []string  // files still on disk, oldest first
	written []string  // every file this writer created
}

// NewWriter writes a pcapng stream to w, which the Writer never closes.
// It writes the Section Header Block immediately.
func NewWriter(w io.Writer, cfg *WriterConfig) (*Writer, error) {
	wr := &Writer{}
	wr.setConfig(cfg)
	if cfg != nil && (cfg.RotateSize != 0 || cfg.RotateInterval != 0 || cfg.MaxFiles != 0) {
		return nil, fmt.Errorf("pcapng: rotation needs a file: use CreateFile")
	}
	wr.bw.bw = bufio.NewWriterSize(w, 256<<10)
	if err := wr.bw.shb(wr.cfg.Application); err != nil {
		return nil, fmt.Errorf("pcapng: write section header: %w", err)
	}
	return wr, nil
}

// CreateFile creates the pcapng file path. Without rotation the file is
// path itself; with RotateSize or RotateInterval the files are named like
// dumpcap's ring buffer: base_NNNNN_YYYYMMDDhhmmss.ext (capture time of the
// file's start, UTC).
func CreateFile(path string, cfg *WriterConfig) (*Writer, error) {
	wr := &Writer{path: path}
	wr.setConfig(cfg)
	if wr.cfg.RotateSize < 0 || wr.cfg.RotateInterval < 0 || wr.cfg.MaxFiles < 0 {
		return nil, fmt.Errorf("pcapng: negative rotation setting %+v", *cfg)
	}
	if err := wr.open(time.Now()); err != nil {
		return nil, err
	}
	return wr, nil
}

func (w *Writer) setConfig(cfg *WriterConfig) {
	if cfg != nil {
		w.cfg = *cfg
	}
	if w.cfg.Application == "" {
		w.cfg.Application = "fieldgate"
	}
}

func (w *Writer) rotating() bool { return w.cfg.RotateSize > 0 || w.cfg.RotateInterval > 0 }

// fileName returns the name of file number seq started at t.
func (w *Writer) fileName(seq int, t time.Time) string {
	if !w.rotating() {
		return w.path
	}
	ext := filepath.Ext(w.path)
	base := strings.TrimSuffix(w.path, ext)
	if ext == "" {
		ext = ".pcapng"
	}
	return fmt.Sprintf("%s_%05d_%s%s", base, seq, t.UTC().Format("20060102150405"), ext)
}

// open starts the next file and writes SHB and IDBs.
func (w *Writer) open(t time.Time) error {
	w.seq++
	name := w.fileName(w.seq, t)
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("pcapng: %w", err)
	}
	w.file = f
	w.files = append(w.files, name)
	w.written = append(w.written, name)
	w.first = time.Time{}
	if w.bw.bw == nil {
		w.bw.bw = bufio.NewWriterSize(f, 256<<10)
	} else {
		w.bw.bw.Reset(f)
	}
	w.bw.written = 0
	if err := w.bw.shb(w.cfg.Application); err != nil {
		return fmt.Errorf("pcapng: %s: write section header: %w", name, err)
	}
	for _, ifc := range w.ifaces {
		if err := w.bw.idb(ifc); err != nil {
			return fmt.Errorf("pcapng: %s: write interface %q: %w", name, ifc.Name, err)
		}
	}
	for len(w.files) > w.cfg.MaxFiles && w.cfg.MaxFiles > 0 {
		if err := os.Remove(w.files[0]); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("pcapng: ring buffer: %w", err)
		}
		w.files = w.files[1:]
	}
	return nil
}

// finish writes the last statistics and closes the current file.
func (w *Writer) finish() error {
	for id, st := range w.stats {
		if st != nil {
			if err := w.bw.isb(id, *st); err != nil {
				return fmt.Errorf("pcapng: write statistics: %w", err)
			}
		}
	}
	if err := w.bw.bw.Flush(); err != nil {
		return fmt.Errorf("pcapng: flush: %w", err)
	}
	if w.file == nil {
		return nil
	}
	name := w.files[len(w.files)-1]
	if err := w.file.Close(); err != nil {
		return fmt.Errorf("pcapng: close %s: %w", name, err)
	}
	w.file = nil
	if w.cfg.OnRotate != nil {
		w.cfg.OnRotate(name)
	}
	return nil
}

// AddInterface adds an interface and returns its pcapng interface id, the
// value to pass to WritePacket (0 for the first, 1 for the second, ...).
func (w *Writer) AddInterface(ifc Interface) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, errWriterClosed
	}
	if err := validInterface(ifc); err != nil {
		return 0, err
	}
	if err := w.bw.idb(ifc); err != nil {
		return 0, fmt.Errorf("pcapng: write interface %q: %w", ifc.Name, err)
	}
	w.ifaces = append(w.ifaces, ifc)
	w.stats = append(w.stats, nil)
	return len(w.ifaces) - 1, nil
}

// Interfaces returns the interfaces added so far, in id order.
func (w *Writer) Interfaces() []Interface {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Interface(nil), w.ifaces...)
}

// WritePacket writes one packet of interface id (from AddInterface).
// data longer than the interface's snap length is truncated to it, with
// the original length kept.
func (w *Writer) WritePacket(id int, ci CaptureInfo, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errWriterClosed
	}
	if id < 0 || id >= len(w.ifaces) {
		return fmt.Errorf("pcapng: write packet: interface id %d not added (have %d interfaces)", id, len(w.ifaces))
	}
	if snap := w.ifaces[id].SnapLen; snap != 0 && len(data) > int(snap) {
		if ci.Length < len(data) {
			ci.Length = len(data)
		}
		data = data[:snap]
	}
	if w.rotating() {
		if err := w.maybeRotate(ci.Timestamp); err != nil {
			return err
		}
	}
	if err := w.bw.epb(id, ci, data); err != nil {
		return fmt.Errorf("pcapng: write packet: %w", err)
	}
	return nil
}

func (w *Writer) maybeRotate(ts time.Time) error {
	if w.first.IsZero() {
		w.first = ts
		return nil
	}
	due := w.cfg.RotateSize > 0 && w.bw.written >= w.cfg.RotateSize ||
		w.cfg.RotateInterval > 0 && ts.Sub(w.first) >= w.cfg.RotateInterval
	if !due {
		return nil
	}
	if err := w.finish(); err != nil {
		return err
	}
	if err := w.open(ts); err != nil {
		return err
	}
	w.first = ts
	return nil
}

// WriteStats writes an Interface Statistics Block for interface id now and
// remembers the counters: they are written again when the file is closed
// or rotated, so the last block of every file has the final counts.
func (w *Writer) WriteStats(id int, st InterfaceStats) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errWriterClosed
	}
	if id < 0 || id >= len(w.ifaces) {
		return fmt.Errorf("pcapng: write statistics: interface id %d not added (have %d interfaces)", id, len(w.ifaces))
	}
	if st.Timestamp.IsZero() {
		st.Timestamp = time.Now()
	}
	w.stats[id] = &st
	if err := w.bw.isb(id, st); err != nil {
		return fmt.Errorf("pcapng: write statistics: %w", err)
	}
	return nil
}

// Flush writes buffered blocks to the underlying writer or file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errWriterClosed
	}
	if err := w.bw.bw.Flush(); err != nil {
		return fmt.Errorf("pcapng: flush: %w", err)
	}
	return nil
}

// Rotate closes the current file and starts the next one now (CreateFile
// writers with rotation only).
func (w *Writer) Rotate() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errWriterClosed
	}
	if !w.rotating() {
		return fmt.Errorf("pcapng: rotate: writer has no rotation configured")
	}
	if err := w.finish(); err != nil {
		return err
	}
	return w.open(time.Now())
}

// Files returns every file this writer created, oldest first, including
// any that MaxFiles has since deleted.
func (w *Writer) Files() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.written...)
}

// Close writes the pending statistics, flushes and, for CreateFile
// writers, closes the file. It does not close an io.Writer given to
// NewWriter.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errWriterClosed
	}
	w.closed = true
	return w.finish()
}

// Written returns the size in bytes of the current file (for NewWriter,
// of everything written to the io.Writer), including blocks not yet
// flushed. `fieldgate capture -C` rotates on it, as tcpdump rotates on
// the savefile's size.
func (w *Writer) Written() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bw.written
}
