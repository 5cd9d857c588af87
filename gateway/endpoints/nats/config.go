package nats

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// Config is a nats endpoint's settings.
type Config struct {
	// URLs are the servers of an external NATS cluster; none means the
	// embedded server (Server).
	URLs []string
	// Prefix and Gateway are the first tokens of every subject.
	Prefix, Gateway string
	// Encoding is busmsg.EncodingBinary, EncodingJSON or EncodingSignals.
	Encoding string
	// DBC is the DBC file of the signals encoding, DB its parsed form.
	DBC string
	DB  *can.DBC `json:"-"`
	// Subscribe lists the subjects whose messages enter the gateway.
	Subscribe []string
	// MaxMessage bounds a message: larger ones received are refused
	// (oversize), and published batches are cut to fit it.
	MaxMessage int
	// Server configures the embedded server (without URLs).
	Server Server
	// TLS, Credentials: how the client connects to URLs.
	TLS         *config.TLS
	Credentials Credentials
	// Reconnect is the backoff between connection attempts.
	Reconnect config.Backoff
	// Coalesce (binary without JetStream): at most one message that is
	// not full per Coalesce on average, after a burst of a few; frames
	// beyond that rate wait for the next slot together (0: every batch
	// is published at once).
	Coalesce time.Duration
	// JetStream publishes into a stream with acknowledgements, nil for
	// plain (at most once) publishing.
	JetStream *JetStream
	// Replay makes the endpoint a source that replays a stream.
	Replay *Replay
}

// Server configures the embedded NATS server.
type Server struct {
	// Listen is its client address (host:port; port 0 picks one).
	Listen string
	// StoreDir is the JetStream store directory; "" runs the server
	// without JetStream.
	StoreDir string
	// MaxMemory and MaxStore bound JetStream's memory and file storage
	// (0: the server's defaults, a share of the machine's).
	MaxMemory, MaxStore int64
	// MaxPayload is the largest message the server accepts.
	MaxPayload int
	// MQTTListen is the address of the server's MQTT listener ("": none);
	// MQTT needs JetStream (StoreDir).
	MQTTListen string
}

// Credentials authenticate the client: one of user and password, a token,
// an nkey seed file or a creds file (JWT and seed).
type Credentials struct {
	User, Password string `json:"-"`
	Token          string `json:"-"`
	NKey, Creds    string // files
}

// JetStream configures acknowledged publishing into a stream.
type JetStream struct {
	// Stream is the stream's name. With Create, the endpoint creates or
	// updates it over <prefix>.<gateway>.> with Replicas, MaxAge,
	// MaxBytes and the Duplicates window.
	Stream     string
	Create     bool
	Replicas   int
	MaxAge     time.Duration
	MaxBytes   int64
	Duplicates time.Duration
	// AckTimeout is how long a publish waits for its acknowledgement
	// before it is sent again (same Nats-Msg-Id, so the stream keeps one).
	AckTimeout time.Duration
}

// Replay configures a source that replays a stream.
type Replay struct {
	Stream string
	// Subjects filters the stream's subjects (all when empty).
	Subjects []string
	// StartSeq/StopSeq and StartTime/StopTime bound the replay (0 and
	// the zero time: unbounded; the stop bound is inclusive). Without a
	// stop bound the replay ends at the stream's last message when it
	// started.
	StartSeq, StopSeq   uint64
	StartTime, StopTime time.Time
	// Realtime replays with the frames' original timing; else as fast as
	// the route takes them.
	Realtime bool
}

// DefaultListen is the embedded server's default client address.
const DefaultListen = "127.0.0.1:4222"

// DefaultPrefix is the default first subject token.
const DefaultPrefix = "fieldgate"

// DefaultMaxMessage is the default max_message (NATS's default max_payload).
const DefaultMaxMessage = 1 << 20

var (
	_ config.Binder = (*Config)(nil)
)

// Traits: a network link (untrusted), every frame type; frames come out of
// it when it subscribes or replays.
func (c *Config) Traits() config.Traits {
	d := config.WriteOnly
	if len(c.Subscribe) > 0 || c.Replay != nil {
		d = config.ReadWrite
	}
	return config.Traits{
		Carries:   config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet,
		Direction: d,
		Trust:     config.TrustRemote,
	}
}

// Binds: the embedded server's address and JetStream store.
func (c *Config) Binds() []config.Bind {
	if len(c.URLs) > 0 {
		return nil
	}
	b := []config.Bind{{Space: "tcp", Addr: config.NormAddr(c.Server.Listen)}}
	if c.Server.StoreDir != "" {
		b = append(b, config.Bind{Space: "file", Addr: c.Server.StoreDir})
	}
	if c.Server.MQTTListen != "" {
		b = append(b, config.Bind{Space: "tcp", Addr: config.NormAddr(c.Server.MQTTListen)})
	}
	return b
}

// QueueSize is the nats kind's default queue.size: a broker connection
// is a TCP stream with backpressure, so a stall anywhere on the way to
// the subscribers (the server, a subscriber's process) holds the writer;
// the queue rides that out as a udp link's socket buffers do, and as a
// file sink's queue does.
const QueueSize = 4096

// QueueDefaults: a larger queue (QueueSize), drop-oldest.
func (c *Config) QueueDefaults() config.Queue { return config.Queue{Size: QueueSize} }

var _ config.QueueDefaulter = (*Config)(nil)

// Embedded reports whether the endpoint runs its own server.
func (c *Config) Embedded() bool { return len(c.URLs) == 0 }

var fields = []config.Field{
	{Name: "url", Doc: "`nats://host:4222` or a list of a cluster's servers (`tls://` for TLS); without it, an embedded server runs in the gateway (see `server`)"},
	{Name: "prefix", Default: DefaultPrefix, Doc: "first subject token(s): subjects are `<prefix>.<gateway>.<endpoint>.<kind>.<ID hex>`"},
	{Name: "gateway", Default: "host name", Doc: "this gateway's name in subjects and the `Fieldgate-Gateway` header (the host name up to its first dot)"},
	{Name: "encoding", Default: busmsg.EncodingBinary, Doc: "`binary` (several frames per message), `json` (one object per frame) or `signals` (DBC-decoded values, publish only)"},
	{Name: "dbc", Doc: "the DBC file of the `signals` encoding (a relative path is relative to the configuration file); a DBC with errors is refused with its file:line"},
	{Name: "subscribe", Doc: "subjects (NATS wildcards `*`, `>`) whose messages enter the gateway; route them to a bus through `allow`"},
	{Name: "max_message", Default: "1MiB", Doc: "largest message: bigger ones received are counted `oversize`, published batches are cut to fit"},
	{Name: "server", Doc: "embedded server (without `url`): `{listen: 127.0.0.1:4222, store_dir: DIR, max_memory: 0, max_store: 0, max_payload: 1MiB, mqtt_listen: none}`; `store_dir` turns JetStream on; `mqtt_listen` (host:port, with `store_dir`) opens the server's MQTT listener"},
	{Name: "tls", Doc: "`{ca, cert, key, server_name}` for `url` connections; the key file must not be readable by group or others"},
	{Name: "credentials", Doc: "one of `{user, password}`, `{token}`, `{nkey: seed file}`, `{creds: file}`; key and creds files must not be readable by group or others"},
	{Name: "coalesce", Default: "1ms", Doc: "`binary` without `jetstream`: at most one message that is not full per `coalesce` on average, up to 4 at once after a quiet spell; frames beyond that rate wait for the next slot, together (0–100ms; `0` publishes every batch at once)"},
	{Name: "reconnect", Default: "{min: 100ms, max: 5s}", Doc: "backoff between connection attempts (doubling from min to max); attempts never stop"},
	{Name: "jetstream", Doc: "`{stream: NAME, create: true, replicas: 1, max_age: 0, max_bytes: 0, duplicates: 2m, ack_timeout: 5s}`: publish into a stream with acknowledgements and `Nats-Msg-Id` deduplication"},
	{Name: "replay", Doc: "`{stream: NAME, subjects: [...], start_seq, stop_seq, start_time, stop_time, realtime: false}`: the endpoint is a source replaying the stream"},
}

const (
	hintURL     = "nats://host:4222 or tls://host:4222, or a list of them"
	hintSubject = "tokens separated by '.', each * or > or letters, digits, '-', '_' (> last), e.g. fieldgate.bench1.>"
)

func decode(o *config.Object) config.Settings {
	c := &Config{}
	for _, n := range o.List("url") {
		if err := busmsg.CheckURL(n.Value, false, "nats", "tls"); err != nil {
			o.Errorf(n, o.Field("url"), hintURL, "%v", err)
			continue
		}
		c.URLs = append(c.URLs, n.Value)
	}
	c.Prefix = o.Str("prefix", DefaultPrefix)
	if err := busmsg.CheckPrefix(c.Prefix); err != nil {
		o.Errorf(o.Get("prefix"), o.Field("prefix"), "tokens separated by '.', e.g. fieldgate or fleet.eu", "prefix %q: %v", c.Prefix, err)
	}
	c.Gateway = o.Str("gateway", "")
	if c.Gateway == "" && !o.Has("gateway") {
		c.Gateway = busmsg.HostToken()
	} else if err := busmsg.CheckToken(c.Gateway); err != nil {
		o.Errorf(o.Get("gateway"), o.Field("gateway"), "one subject token, e.g. bench1", "gateway %q: %v", c.Gateway, err)
	}
	c.Encoding, c.DBC, c.DB = busmsg.DecodeEncoding(o)
	for _, n := range o.List("subscribe") {
		if err := checkSubject(n.Value); err != nil {
			o.Errorf(n, o.Field("subscribe"), hintSubject, "subject %q: %v", n.Value, err)
			continue
		}
		c.Subscribe = append(c.Subscribe, n.Value)
	}
	if len(c.Subscribe) > 0 && c.Encoding == busmsg.EncodingSignals {
		o.Errorf(o.Get("subscribe"), o.Field("subscribe"), "subscribe with encoding binary or json (signals cannot be turned back into frames)", "the signals encoding is publish only")
	}
	c.MaxMessage = int(o.Size("max_message", DefaultMaxMessage))
	if c.MaxMessage < 1024 || c.MaxMessage > 64<<20 {
		o.Errorf(o.Get("max_message"), o.Field("max_message"), "1KiB to 64MiB", "max_message %d out of range", c.MaxMessage)
	}
	c.Server = decodeServer(o, c)
	c.TLS = o.TLS(false)
	if c.TLS != nil {
		if c.Embedded() {
			o.Errorf(o.Get("tls"), o.Field("tls"), "the embedded server listens on this host; tls applies with url", "tls without url")
		}
		if c.TLS.Key != "" {
			checkSecretFile(o, o.Get("tls"), o.Field("tls.key"), c.TLS.Key)
		}
	}
	c.Credentials = decodeCredentials(o, c)
	c.Reconnect = o.Backoff()
	c.JetStream = decodeJetStream(o, c)
	c.Replay = decodeReplay(o, c)
	c.Coalesce = o.Duration("coalesce", DefaultCoalesce, 0, 100*time.Millisecond)
	if o.Has("coalesce") && (c.Encoding != busmsg.EncodingBinary || c.JetStream != nil) {
		o.Errorf(o.Get("coalesce"), o.Field("coalesce"), "remove coalesce", "coalesce applies to the binary encoding without jetstream (one frame per message otherwise; jetstream waits for acknowledgements)")
	}
	if c.Encoding != busmsg.EncodingBinary || c.JetStream != nil {
		c.Coalesce = 0
	}
	return c
}

// DefaultCoalesce is coalesce's default: on average at most one message
// that is not full per millisecond (as the udp kind's coalesce).
const DefaultCoalesce = time.Millisecond

// checkSubject reports whether s is a subject to subscribe to.
func checkSubject(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	toks := strings.Split(s, ".")
	for i, t := range toks {
		switch {
		case t == "*":
		case t == ">":
			if i != len(toks)-1 {
				return fmt.Errorf("'>' must be the last token")
			}
		case t == "":
			return fmt.Errorf("empty token")
		default:
			for j := 0; j < len(t); j++ {
				if c := t[j]; c <= ' ' || c >= 0x7F || c == '*' || c == '>' {
					return fmt.Errorf("token %q: %q is not allowed", t, c)
				}
			}
		}
	}
	return nil
}

func decodeServer(o *config.Object, c *Config) Server {
	n := o.Get("server")
	s := o.Object("server")
	defer s.Done()
	r := Server{Listen: s.HostPort("listen", false, DefaultListen)}
	r.StoreDir = s.Str("store_dir", "")
	r.MaxMemory = s.Size("max_memory", 0)
	r.MaxStore = s.Size("max_store", 0)
	r.MaxPayload = int(s.Size("max_payload", DefaultMaxMessage))
	if r.MaxPayload < 1024 || r.MaxPayload > 64<<20 {
		s.Errorf(s.Get("max_payload"), s.Field("max_payload"), "1KiB to 64MiB", "max_payload %d out of range", r.MaxPayload)
	}
	r.MQTTListen = s.HostPort("mqtt_listen", false, "")
	if r.MQTTListen != "" && r.StoreDir == "" {
		s.Errorf(s.Get("mqtt_listen"), s.Field("mqtt_listen"), "set store_dir too", "the MQTT listener needs JetStream (store_dir)")
	}
	if n != nil && !c.Embedded() {
		o.Errorf(n, o.Field("server"), "remove server, or url to run the embedded server", "server applies to the embedded server (no url)")
	}
	if h, _, err := net.SplitHostPort(r.Listen); err == nil && c.Embedded() {
		if ip := net.ParseIP(h); ip == nil && h != "localhost" {
			s.Errorf(s.Get("listen"), s.Field("listen"), "an IP address such as 127.0.0.1", "listen host %q is not an IP address", h)
		}
	}
	return r
}

func decodeCredentials(o *config.Object, c *Config) Credentials {
	n := o.Get("credentials")
	if n == nil {
		return Credentials{}
	}
	s := o.Object("credentials")
	defer s.Done()
	r := Credentials{User: s.Str("user", ""), Password: s.Str("password", ""), Token: s.Str("token", ""),
		NKey: s.Str("nkey", ""), Creds: s.Str("creds", "")}
	methods := 0
	for _, set := range []bool{r.User != "" || r.Password != "", r.Token != "", r.NKey != "", r.Creds != ""} {
		if set {
			methods++
		}
	}
	const hint = "one of {user, password}, {token}, {nkey: seed file}, {creds: file}"
	switch {
	case methods == 0:
		o.Errorf(n, o.Field("credentials"), hint, "no credentials given")
	case methods > 1:
		o.Errorf(n, o.Field("credentials"), hint, "more than one kind of credentials")
	case (r.User == "") != (r.Password == ""):
		o.Errorf(n, o.Field("credentials"), "give both user and password", "user and password go together")
	}
	if c.Embedded() {
		o.Errorf(n, o.Field("credentials"), "credentials apply with url", "credentials without url")
	}
	if r.NKey != "" {
		checkSecretFile(s, s.Get("nkey"), s.Field("nkey"), r.NKey)
	}
	if r.Creds != "" {
		checkSecretFile(s, s.Get("creds"), s.Field("creds"), r.Creds)
	}
	return r
}

// checkSecretFile refuses a key or credentials file that is missing, not
// a regular file, or readable or writable by group or others.
func checkSecretFile(o *config.Object, n *yaml.Node, field, path string) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		o.Errorf(n, field, "", "%v", err)
	case !st.Mode().IsRegular():
		o.Errorf(n, field, "name the file itself", "%s is not a regular file", path)
	case runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0:
		o.Errorf(n, field, "run: chmod 600 "+path, "%s has mode %04o: it must not be accessible by group or others", path, st.Mode().Perm())
	}
}

func decodeJetStream(o *config.Object, c *Config) *JetStream {
	n := o.Get("jetstream")
	if n == nil {
		return nil
	}
	s := o.Object("jetstream")
	defer s.Done()
	j := &JetStream{Stream: s.Str("stream", "")}
	if j.Stream == "" {
		s.Missing("stream", "the stream's name, e.g. FRAMES")
	} else if err := checkStreamName(j.Stream); err != nil {
		s.Errorf(s.Get("stream"), s.Field("stream"), "letters, digits, '-', '_'", "stream %q: %v", j.Stream, err)
	}
	j.Create = s.Bool("create", true)
	j.Replicas = int(s.Uint("replicas", 1, 1, 5))
	j.MaxAge = s.Duration("max_age", 0, 0, 100*365*24*time.Hour)
	j.MaxBytes = s.Size("max_bytes", 0)
	j.Duplicates = s.Duration("duplicates", 2*time.Minute, time.Second, 24*time.Hour)
	j.AckTimeout = s.Duration("ack_timeout", 5*time.Second, 10*time.Millisecond, time.Minute)
	if c.Embedded() && c.Server.StoreDir == "" {
		o.Errorf(n, o.Field("jetstream"), "set server.store_dir to run JetStream in the embedded server", "jetstream needs server.store_dir")
	}
	return j
}

func checkStreamName(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7F || strings.IndexByte(".*>/\\", c) >= 0 {
			return fmt.Errorf("%q is not allowed", c)
		}
	}
	if len(s) > 255 {
		return fmt.Errorf("longer than 255 bytes")
	}
	return nil
}

func decodeReplay(o *config.Object, c *Config) *Replay {
	n := o.Get("replay")
	if n == nil {
		return nil
	}
	s := o.Object("replay")
	defer s.Done()
	r := &Replay{Stream: s.Str("stream", "")}
	if r.Stream == "" {
		s.Missing("stream", "the stream to replay, e.g. FRAMES")
	} else if err := checkStreamName(r.Stream); err != nil {
		s.Errorf(s.Get("stream"), s.Field("stream"), "letters, digits, '-', '_'", "stream %q: %v", r.Stream, err)
	}
	for _, sn := range s.List("subjects") {
		if err := checkSubject(sn.Value); err != nil {
			s.Errorf(sn, s.Field("subjects"), hintSubject, "subject %q: %v", sn.Value, err)
			continue
		}
		r.Subjects = append(r.Subjects, sn.Value)
	}
	r.StartSeq = s.Uint("start_seq", 0, 0, 1<<63)
	r.StopSeq = s.Uint("stop_seq", 0, 0, 1<<63)
	r.StartTime = readTime(s, "start_time")
	r.StopTime = readTime(s, "stop_time")
	r.Realtime = s.Bool("realtime", false)
	switch {
	case r.StartSeq > 0 && !r.StartTime.IsZero():
		s.Errorf(s.Get("start_time"), s.Field("start_time"), "start at a sequence or at a time", "start_seq and start_time are exclusive")
	case r.StopSeq > 0 && r.StopSeq < r.StartSeq:
		s.Errorf(s.Get("stop_seq"), s.Field("stop_seq"), "stop_seq ≥ start_seq", "stop_seq %d is below start_seq %d", r.StopSeq, r.StartSeq)
	case !r.StopTime.IsZero() && r.StopTime.Before(r.StartTime):
		s.Errorf(s.Get("stop_time"), s.Field("stop_time"), "stop_time after start_time", "stop_time is before start_time")
	}
	if len(c.Subscribe) > 0 {
		o.Errorf(n, o.Field("replay"), "use one endpoint to subscribe and another to replay", "replay and subscribe are exclusive")
	}
	if c.Encoding == busmsg.EncodingSignals {
		o.Errorf(n, o.Field("replay"), "replay a stream of binary or json messages", "the signals encoding cannot be replayed onto a bus")
	}
	if c.Embedded() && c.Server.StoreDir == "" {
		o.Errorf(n, o.Field("replay"), "set server.store_dir to run JetStream in the embedded server", "replay needs server.store_dir")
	}
	return r
}

func readTime(o *config.Object, k string) time.Time {
	n, ok := o.Scalar(k)
	if !ok {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, n.Value)
	if err != nil {
		o.Errorf(n, o.Field(k), "RFC 3339, e.g. 2026-12-07T15:04:05Z", "invalid time %q", n.Value)
	}
	return t
}
