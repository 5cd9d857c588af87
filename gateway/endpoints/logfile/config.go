package logfile

import (
	"path/filepath"

	"github.com/fieldgate/fieldgate/can/canlog"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// Config is a log endpoint's settings.
type Config struct {
	Mode       config.Mode // write (record) or read (replay)
	Path       string
	Interface  string // interface name written into lines
	RotateSize int64  // bytes, 0 = never
	RotateKeep int    // rotated files kept
	Realtime   bool   // read mode: replay with the original timing
	Format     canlog.Format
	ExitOnEOF  bool // read mode: the run ends when the file is replayed
}

var _ endpoint.EOFEnder = (*Config)(nil)

// EndsRunAtEOF: exit_on_eof on a replayed log.
func (c *Config) EndsRunAtEOF() bool { return c.Mode == config.ModeRead && c.ExitOnEOF }

var _ config.Binder = (*Config)(nil)

// Traits: a local file, CAN frames, one direction by mode.
func (c *Config) Traits() config.Traits {
	d := config.WriteOnly
	if c.Mode == config.ModeRead {
		d = config.ReadOnly
	}
	return config.Traits{Carries: config.CarriesCAN | config.CarriesCANFD, Direction: d, Trust: config.TrustLocal}
}

// Binds: the file.
func (c *Config) Binds() []config.Bind { return []config.Bind{{Space: "file", Addr: c.Path}} }

// QueueSize is a recording log's default queue size: a burst of frames
// from a busy bus waits in the queue while the file is written, instead of
// being dropped (queue_overflow).
const QueueSize = 4096

var _ config.QueueDefaulter = (*Config)(nil)

// QueueDefaults: a larger queue than other kinds (QueueSize) in write
// mode; a replayed log has no queue to size.
func (c *Config) QueueDefaults() config.Queue {
	if c.Mode == config.ModeRead {
		return config.Queue{}
	}
	return config.Queue{Size: QueueSize}
}

var fields = []config.Field{
	{Name: "mode", Default: "write", Doc: "`write` records frames, `read` replays the file as a source"},
	{Name: "path", Doc: "the log file; its extension chooses the format unless `format` is set"},
	{Name: "format", Default: "by extension", Doc: "`candump` (.log and others), `asc`, `blf`, `trc` (2.1), `trc1.1` or `csv` (python-can's)"},
	{Name: "interface", Default: "can0", Doc: "interface name written into each line (write mode)"},
	{Name: "rotate", Doc: "`{size: 10MiB, keep: 5}`: rotate at size, keep that many old files"},
	{Name: "realtime", Default: "false", Doc: "read mode: replay with the original timing instead of as fast as possible"},
	{Name: "exit_on_eof", Default: "false", Doc: "read mode: `fieldgate run` ends (status 0) once this file and every other such log is replayed and every queue is drained"},
}

func decode(o *config.Object) config.Settings {
	c := &Config{}
	c.Mode = config.Mode(o.OneOf("mode", string(config.ModeWrite), string(config.ModeWrite), string(config.ModeRead)))
	c.Path = o.Str("path", "")
	if c.Path == "" {
		o.Missing("path", "a log file path")
	}
	c.Format = canlog.FromPath(c.Path)
	if fs := o.Str("format", ""); fs != "" {
		f, err := canlog.ParseFormat(fs)
		if err != nil {
			o.Errorf(o.Get("format"), o.Field("format"), canlog.Names, "%v", err)
		}
		c.Format = f
	}
	c.Interface = o.Str("interface", "can0")
	if !config.ValidInterface(c.Interface) {
		o.Errorf(o.Get("interface"), o.Field("interface"), "at most 15 characters, no spaces", "invalid interface name %q", c.Interface)
	}
	rn := o.Object("rotate")
	c.RotateSize = rn.Size("size", 0)
	c.RotateKeep = int(rn.Uint("keep", 5, 1, 1000))
	rn.Done()
	c.Realtime = o.Bool("realtime", false)
	c.ExitOnEOF = o.Bool("exit_on_eof", false)
	if c.ExitOnEOF && c.Mode != config.ModeRead {
		o.Errorf(o.Get("exit_on_eof"), o.Field("exit_on_eof"), "mode: read", "exit_on_eof applies to a replayed log (mode: read) only")
	}
	return c
}

var _ config.HostChecker = (*Config)(nil)

// CheckHost checks that the file can be written (mode write; with
// rotation, its directory too) or read (mode read).
func (c *Config) CheckHost(h *config.Host) {
	if c.Mode == config.ModeRead {
		h.ReadableFile("path", c.Path)
		return
	}
	h.WritableFile("path", c.Path)
	if c.RotateSize > 0 && c.Path != "" {
		h.WritableDir("path", filepath.Dir(c.Path))
	}
}
