package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/allowlist"
)

// Pos is a position in a configuration file.
type Pos struct {
	File   string
	Line   int
	Column int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return p.File + ":" + itoa(p.Line) + ":" + itoa(p.Column)
}

// Config is a whole gateway configuration.
type Config struct {
	// File is the path the configuration was read from.
	File string
	// Log configures logging.
	Log Log
	// Admin configures the HTTP listener for /metrics, /healthz and /status.
	Admin Admin
	// DrainTimeout bounds how long SIGTERM waits for queues to empty.
	DrainTimeout time.Duration
	// Endpoints in file order.
	Endpoints []*Endpoint
	// Routes in file order.
	Routes []*Route
	// Warnings are findings that do not stop the gateway.
	Warnings []*Error
	// Admissions say, for each route from an untrusted source to a bus,
	// what its allow list lets onto the bus, in words (fieldgate check
	// prints them).
	Admissions []Admission
}

// An Admission is what one route lets from an untrusted source onto a bus.
type Admission struct {
	Route, From, To string
	Pos             Pos
	// Text is the allow list in words, e.g. "11-bit data frames
	// 0x600–0x6FF; 29-bit: none; remote: none; error: none".
	Text string
}

func (a Admission) String() string {
	return fmt.Sprintf("%v: route %s: %s → %s admits %s", a.Pos, a.Route, a.From, a.To, a.Text)
}

// Log configures log/slog output.
type Log struct {
	Level  string // debug, info, warn, error
	Format string // text or json
}

// Admin configures the admin HTTP listener.
type Admin struct {
	Listen string // host:port; empty disables it
	Pos    Pos
	// TokenFile holds the bearer token that state-changing requests
	// (POST /reload) must carry; "" for none.
	TokenFile string
	// Hosts are further names that the Host and Origin headers may carry:
	// "name" (with the admin port) or "name:port".
	Hosts []string
	// TLS serves the admin port over HTTPS (Cert and Key only).
	TLS *TLS
	// Console configures the web console served at / (admin.console).
	Console Console
}

// Console configures the web console on the admin port.
type Console struct {
	// Disabled turns the console off (admin.console.enabled: false): /
	// is a 404 as before.
	Disabled bool
	// DBC is the DBC file whose messages the console's trace decodes ("" for
	// none), absolute; DB is that file parsed.
	DBC string
	DB  *can.DBC `json:"-"`
}

// Overflow policies for destination queues.
const (
	DropOldest   = "drop-oldest"
	DropNewest   = "drop-newest"
	Backpressure = "backpressure"
)

// Queue configures an endpoint's outgoing queue.
type Queue struct {
	Size     int    // frames, default 1024
	Overflow string // drop-oldest, drop-newest, backpressure
}

// Endpoint is one named endpoint: what every kind has (name, kind,
// position, queue) and the kind's own Settings.
type Endpoint struct {
	Name  string
	Kind  string
	Pos   Pos `json:"-"`
	Queue Queue
	// Settings are the kind's own fields, of the kind package's type.
	Settings Settings
	// node is the endpoint's mapping in the file, where CheckHost finds
	// the position of a field; nil for endpoints not read from a file.
	node *yaml.Node
}

// Traits returns what the endpoint's kind declares about it.
func (e *Endpoint) Traits() Traits {
	if e.Settings == nil {
		return Traits{}
	}
	return e.Settings.Traits()
}

// CanRead reports whether frames can come out of e.
func (e *Endpoint) CanRead() bool { return e.Traits().Reads() }

// CanWrite reports whether frames can be written to e.
func (e *Endpoint) CanWrite() bool { return e.Traits().Writes() }

// Carries reports whether e can carry every frame type in c.
func (e *Endpoint) Carries(c Carries) bool { return e.Traits().Carries&c == c }

// Interface returns the local interface e is on, or "".
func (e *Endpoint) Interface() string { return e.Traits().Interface }

// Backoff configures reconnects.
type Backoff struct {
	Min, Max time.Duration
}

// TLS configures crypto/tls on tcp and socketcand endpoints.
type TLS struct {
	Cert, Key, CA string
	ServerName    string
	Pos           Pos `json:"-"`
}

// Auth configures authenticated UDP.
type Auth struct {
	KeyFile      string
	Provider     string // auto, kernel, go
	ReplayWindow int
	Pos          Pos `json:"-"`
}

// Filter is an id/mask match, as can_filter.
type Filter struct {
	ID, Mask uint32
	Inverted bool
	Pos      Pos `json:"-"`
}

// Route connects endpoints.
type Route struct {
	Name      string
	Pos       Pos
	From      []string
	To        []string
	FromPos   []Pos
	ToPos     []Pos
	Filters   []Filter
	FrameType string // any, classic, fd
	Transform Transform
	Rate      Rate
	// Allow is what an untrusted source may write onto a bus through this
	// route (package allowlist has the rule).
	Allow allowlist.List
	// AllowSet says the route has an allow: field; AllowPos is where.
	AllowSet bool
	AllowPos Pos    `json:"-"`
	Offload  string // auto, never, require
}

// Rate limits a route.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Transform is the per-frame modification a route applies, in can-gw order:
// ID remap, AND, OR, XOR, SET, CRC8, XOR checksum.
type Transform struct {
	Remap []Remap
	AND   *Mod
	OR    *Mod
	XOR   *Mod
	SET   *Mod
	CRC8  *Checksum
	XORCS *Checksum
}

// Empty reports whether t changes nothing.
func (t *Transform) Empty() bool {
	return len(t.Remap) == 0 && t.AND == nil && t.OR == nil && t.XOR == nil && t.SET == nil && t.CRC8 == nil && t.XORCS == nil
}

// Remap maps one CAN ID to another.
type Remap struct {
	From, To uint32
}

// Mod is a can-gw frame modification: which fields and their operand.
type Mod struct {
	ID    *uint32
	Len   *uint8
	Data  *[64]byte
	DataN int
	Flags *uint8
}

// Checksum is a can-gw CRC8 or XOR checksum over data bytes.
type Checksum struct {
	From, To, Result int
	Init             uint8
	Poly             uint8 // CRC8 polynomial
	FinalXOR         uint8
}
