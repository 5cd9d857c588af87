package capture

import (
	"path/filepath"
	"time"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// Config is a capture endpoint's settings.
type Config struct {
	Path           string
	RotateSize     int64         // bytes, 0 = never
	RotateInterval time.Duration // rotate by capture time, 0 = never
	RotateKeep     int           // rotated files kept, 0 = all
}

var _ config.Binder = (*Config)(nil)

// Traits: a local file that frames go into, CAN, CAN FD, PDUs and Ethernet.
func (c *Config) Traits() config.Traits {
	return config.Traits{
		Carries:   config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet,
		Direction: config.WriteOnly,
		Trust:     config.TrustLocal,
	}
}

// Binds: the file.
func (c *Config) Binds() []config.Bind { return []config.Bind{{Space: "file", Addr: c.Path}} }

// QueueSize is a capture's default queue size: a burst of frames from a
// busy bus waits in the queue while the file is written, instead of being
// dropped (queue_overflow).
const QueueSize = 4096

var _ config.QueueDefaulter = (*Config)(nil)

// QueueDefaults: a larger queue than other kinds (QueueSize).
func (c *Config) QueueDefaults() config.Queue { return config.Queue{Size: QueueSize} }

var fields = []config.Field{
	{Name: "path", Doc: "the pcapng file, e.g. /var/log/fieldgate/can.pcapng"},
	{Name: "rotate", Doc: "`{size: 100MiB, interval: 1h, keep: 24}`: rotate at size or after interval of capture time, keep that many old files (0: all)"},
}

func decode(o *config.Object) config.Settings {
	c := &Config{}
	c.Path = o.Str("path", "")
	if c.Path == "" {
		o.Missing("path", "a pcapng file path, e.g. /var/log/fieldgate/can.pcapng")
	}
	rn := o.Object("rotate")
	c.RotateSize = rn.Size("size", 0)
	c.RotateInterval = rn.Duration("interval", 0, 0, 365*24*time.Hour)
	c.RotateKeep = int(rn.Uint("keep", 0, 0, 100000))
	rn.Done()
	return c
}

var _ config.HostChecker = (*Config)(nil)

// CheckHost checks that the file can be written, and with rotation that
// its directory takes new files.
func (c *Config) CheckHost(h *config.Host) {
	h.WritableFile("path", c.Path)
	if (c.RotateSize > 0 || c.RotateInterval > 0) && c.Path != "" {
		h.WritableDir("path", filepath.Dir(c.Path))
	}
}
