package config

import (
	"time"
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
}

// Endpoint kinds.
const (
	KindCAN        = "can"
	KindISOTP      = "isotp"
	KindJ1939      = "j1939"
	KindUDP        = "udp"
	KindTCP        = "tcp"
	KindSocketcand = "socketcand"
	KindVsock      = "vsock"
	KindUnix       = "unix"
	KindLog        = "log"
	KindCapture    = "capture"
	KindPacket     = "packet"
)

// Kinds lists every endpoint kind.
var Kinds = []string{KindCAN, KindISOTP, KindJ1939, KindUDP, KindTCP, KindSocketcand, KindVsock, KindUnix, KindLog, KindCapture, KindPacket}

// IsBus reports whether kind writes onto a CAN bus.
func IsBus(kind string) bool {
	return kind == KindCAN || kind == KindISOTP || kind == KindJ1939
}

// CarriesEthernet reports whether Ethernet frames can come out of or be
// written to e: packet and capture endpoints, udp links (OpPDU datagrams),
// and tcp/unix/vsock links with pdus enabled (stream PDU records).
func (e *Endpoint) CarriesEthernet() bool {
	switch e.Kind {
	case KindPacket, KindCapture, KindUDP:
		return true
	case KindTCP, KindUnix, KindVsock:
		return e.PDUs
	}
	return false
}

// IsNetwork reports whether kind is reachable from other hosts or processes.
func IsNetwork(kind string) bool {
	switch kind {
	case KindUDP, KindTCP, KindSocketcand, KindVsock, KindUnix:
		return true
	}
	return false
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

// Endpoint is one named endpoint.
type Endpoint struct {
	Name string
	Kind string
	Pos  Pos

	// can, isotp, j1939, socketcand
	Interface string
	FD        bool
	Filters   []Filter
	ErrorMask uint32 // can: error classes to receive (CAN_ERR_MASK bits)
	Confirm   bool   // can: count frames never transmitted from the socket's own echoes

	// isotp
	TxID, RxID uint32
	ISOTP      ISOTPOptions

	// j1939
	J1939 J1939Options

	// network
	Mode           string // server|client (tcp, vsock, unix), read|write (log)
	Listen         string // udp, tcp, socketcand local address
	Peer           string // udp peer, tcp client remote
	CID            uint32 // vsock
	Port           uint32 // vsock
	Path           string // unix socket path, log file path
	SocketType     string // unix: stream or seqpacket
	MTU            int
	Flush          time.Duration
	AllowPeers     []string
	MaxClients     int
	Reconnect      Backoff
	TLS            *TLS
	Auth           *Auth
	Beacon         bool
	Bus            string        // socketcand bus name offered to clients
	LogIface       string        // log: interface name written into lines
	RotateSize     int64         // log: bytes, 0 = never
	RotateKeep     int           // log: files kept
	RotateInterval time.Duration // capture: rotate by capture time
	Realtime       bool          // log read mode: replay with original timing
	Queue          Queue

	// tcp, unix, vsock: fieldgate's PDU records in the stream (ISO-TP,
	// J1939, Ethernet); both ends must enable them.
	PDUs bool

	// packet
	Promiscuous bool       // put the interface into promiscuous mode
	Filter      string     // tcpdump expression, compiled to classic BPF
	Ring        PacketRing // TPACKET_V3 receive ring
}

// PacketRing sizes a packet endpoint's TPACKET_V3 receive ring.
type PacketRing struct {
	BlockSize int64         // bytes, a multiple of the page size
	Blocks    int           // number of blocks
	Timeout   time.Duration // block retire timeout: the latency bound at low rates
}

// ISOTPOptions are the ISO-TP socket options of an isotp endpoint.
type ISOTPOptions struct {
	Padding   *uint8
	BlockSize uint8
	STmin     uint8
	ExtAddr   *uint8
}

// J1939Options are the J1939 options of a j1939 endpoint.
type J1939Options struct {
	Name    uint64
	Addr    uint8
	PGNs    []uint32
	Promisc bool
}

// Backoff configures reconnects.
type Backoff struct {
	Min, Max time.Duration
}

// TLS configures crypto/tls on tcp and socketcand endpoints.
type TLS struct {
	Cert, Key, CA string
	ServerName    string
	Pos           Pos
}

// Auth configures authenticated UDP.
type Auth struct {
	KeyFile      string
	Provider     string // auto, kernel, go
	ReplayWindow int
	Pos          Pos
}

// Filter is an id/mask match, as can_filter.
type Filter struct {
	ID, Mask uint32
	Inverted bool
	Pos      Pos
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
	Allow     []Filter
	AllowSet  bool
	// AllowAny is set by `allow: [any]`: every frame may be written.
	AllowAny bool
	// AllowEtherTypes lists the ethertypes (outer, bytes 12-13 of the
	// frame) a network source may write onto a packet endpoint.
	AllowEtherTypes []uint16
	Offload         string // auto, never, require
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
