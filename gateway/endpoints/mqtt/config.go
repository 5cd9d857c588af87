package mqtt

import (
	"fmt"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/internal/tlsconf"
)

// Config is an mqtt endpoint's settings.
type Config struct {
	// URL is the broker: tcp://host:1883 or ssl://host:8883 (mqtt:// and
	// mqtts:// are the same).
	URL string
	// ClientID is the MQTT client identifier ("": fieldgate-<gateway>-
	// <endpoint>); the broker keeps the session (QoS 1) under it.
	ClientID string
	// Prefix and Gateway are the first topic levels of every topic.
	Prefix, Gateway string
	// Encoding is busmsg.EncodingBinary, EncodingJSON or EncodingSignals.
	Encoding string
	// DBC is the DBC file of the signals encoding, DB its parsed form.
	DBC string
	DB  *can.DBC `json:"-"`
	// QoS is 0 (at most once) or 1 (at least once).
	QoS byte
	// Retain publishes signals messages retained: the broker keeps the
	// last value of each message's signals for new subscribers.
	Retain bool
	// Subscribe lists the topic filters whose messages enter the gateway.
	Subscribe []string
	// MaxMessage bounds a message: larger ones received are refused
	// (oversize), and published batches are cut to fit it.
	MaxMessage int
	// Liveness publishes a retained "online" on connect and "offline" at
	// shutdown (and as the will) on <prefix>/<gateway>/status.
	Liveness bool
	// KeepAlive is the MQTT keep-alive interval.
	KeepAlive time.Duration
	// TLS, Credentials: how the client connects.
	TLS         *config.TLS
	Credentials Credentials
	// Reconnect is the backoff between connection attempts.
	Reconnect config.Backoff
}

// Credentials are an MQTT user name and password.
type Credentials struct {
	User, Password string `json:"-"`
}

// DefaultPrefix is the default first topic level.
const DefaultPrefix = "fieldgate"

// DefaultMaxMessage is the default max_message.
const DefaultMaxMessage = 256 << 10

// StatusLevel is the last level of the liveness topic
// <prefix>/<gateway>/status. A subscribing endpoint skips messages whose
// topic ends in it (frame topics end in an ID or "batch").
const StatusLevel = "status"

// Liveness payloads.
const (
	Online  = "online"
	Offline = "offline"
)

var _ config.HostChecker = (*Config)(nil)

// Traits: a network link (untrusted), every frame type; frames come out of
// it when it subscribes.
func (c *Config) Traits() config.Traits {
	d := config.WriteOnly
	if len(c.Subscribe) > 0 {
		d = config.ReadWrite
	}
	return config.Traits{
		Carries:   config.CarriesCAN | config.CarriesCANFD | config.CarriesPDUs | config.CarriesEthernet,
		Direction: d,
		Trust:     config.TrustRemote,
	}
}

// CheckHost loads the TLS certificate, key and CA as opening the endpoint
// does (a key file readable by group or others is refused).
func (c *Config) CheckHost(h *config.Host) {
	_, err := tlsconf.Load(c.TLS, false)
	h.Report(err)
}

// StatusTopic returns the liveness topic <prefix>/<gateway>/status.
func (c *Config) StatusTopic() string {
	if c.Prefix == "" {
		return c.Gateway + "/" + StatusLevel
	}
	return c.Prefix + "/" + c.Gateway + "/" + StatusLevel
}

var fields = []config.Field{
	{Name: "url", Doc: "the broker: `tcp://host:1883`, or `ssl://host:8883` for TLS (`mqtt://`, `mqtts://` alike)"},
	{Name: "client_id", Default: "fieldgate-<gateway>-<endpoint>", Doc: "MQTT client identifier; with `qos: 1` the broker keeps the session (subscriptions, undelivered messages) under it"},
	{Name: "prefix", Default: DefaultPrefix, Doc: "first topic level(s): topics are `<prefix>/<gateway>/<endpoint>/<kind>/<ID hex>`"},
	{Name: "gateway", Default: "host name", Doc: "this gateway's name in topics (the host name up to its first dot)"},
	{Name: "encoding", Default: busmsg.EncodingBinary, Doc: "`binary` (several frames per message), `json` (one object per frame) or `signals` (DBC-decoded values, publish only); the nats kind's encodings"},
	{Name: "dbc", Doc: "the DBC file of the `signals` encoding (a relative path is relative to the configuration file); a DBC with errors is refused with its file:line"},
	{Name: "qos", Default: "1", Doc: "`0` (at most once: frames in flight when the connection breaks are lost, and counted as `seq_gaps` by a subscribing fieldgate) or `1` (at least once: unacknowledged messages are published again after a reconnect)"},
	{Name: "retain", Default: "false", Doc: "with `signals`: publish retained, so that the broker keeps each CAN message's last signal values for new subscribers"},
	{Name: "subscribe", Doc: "topic filters (MQTT wildcards `+`, `#`) whose messages enter the gateway; route them to a bus through `allow`"},
	{Name: "max_message", Default: "256KiB", Doc: "largest message (1KiB–64MiB): bigger ones received are counted `oversize`, published batches are cut to fit"},
	{Name: "liveness", Default: "true", Doc: "retained `online` on `<prefix>/<gateway>/status` after connecting, `offline` at shutdown and as the will message the broker publishes when the gateway dies"},
	{Name: "keepalive", Default: "30s", Doc: "MQTT keep-alive interval (1s–1h): a broker notices a silent gateway after 1.5 times it"},
	{Name: "tls", Doc: "`{ca, cert, key, server_name}` for `ssl://`; the key file must not be readable by group or others"},
	{Name: "credentials", Doc: "`{user, password}`"},
	{Name: "reconnect", Default: "{min: 100ms, max: 5s}", Doc: "backoff between connection attempts (doubling from min to max); attempts never stop"},
}

const hintFilter = "levels separated by '/', each + or # or a name (# last), e.g. fieldgate/bench1/#"

func decode(o *config.Object) config.Settings {
	c := &Config{}
	if n, ok := o.Scalar("url"); !ok {
		o.Missing("url", "the broker, e.g. tcp://127.0.0.1:1883")
	} else if err := busmsg.CheckURL(n.Value, true, "tcp", "mqtt", "ssl", "tls", "mqtts"); err != nil {
		o.Errorf(n, o.Field("url"), "tcp://host:1883 or ssl://host:8883", "%v", err)
	} else {
		c.URL = n.Value
	}
	c.Prefix = o.Str("prefix", DefaultPrefix)
	if err := checkPrefix(c.Prefix); err != nil {
		o.Errorf(o.Get("prefix"), o.Field("prefix"), "levels separated by '/', e.g. fieldgate or fleet/eu", "prefix %q: %v", c.Prefix, err)
	}
	c.Gateway = o.Str("gateway", "")
	if c.Gateway == "" && !o.Has("gateway") {
		c.Gateway = busmsg.HostToken()
	} else if err := busmsg.CheckToken(c.Gateway); err != nil {
		o.Errorf(o.Get("gateway"), o.Field("gateway"), "one topic level, e.g. bench1", "gateway %q: %v", c.Gateway, err)
	}
	c.ClientID = o.Str("client_id", "")
	if len(c.ClientID) > 65535 {
		o.Errorf(o.Get("client_id"), o.Field("client_id"), "a shorter name", "client_id longer than 65535 bytes")
	}
	c.Encoding, c.DBC, c.DB = busmsg.DecodeEncoding(o)
	c.QoS = byte(o.Uint("qos", 1, 0, 1))
	c.Retain = o.Bool("retain", false)
	if c.Retain && c.Encoding != busmsg.EncodingSignals {
		o.Errorf(o.Get("retain"), o.Field("retain"), "use retain with encoding: signals", "retain applies to the signals encoding only")
	}
	for _, n := range o.List("subscribe") {
		if err := checkFilter(n.Value); err != nil {
			o.Errorf(n, o.Field("subscribe"), hintFilter, "topic filter %q: %v", n.Value, err)
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
	c.Liveness = o.Bool("liveness", true)
	c.KeepAlive = o.Duration("keepalive", 30*time.Second, time.Second, time.Hour)
	c.TLS = o.TLS(false)
	if c.TLS != nil && c.URL != "" && !secureURL(c.URL) {
		o.Errorf(o.Get("tls"), o.Field("tls"), "use ssl://host:8883 with tls", "tls with a %s URL", c.URL[:strings.Index(c.URL, ":")])
	}
	c.Credentials = decodeCredentials(o)
	c.Reconnect = o.Backoff()
	return c
}

func decodeCredentials(o *config.Object) Credentials {
	n := o.Get("credentials")
	if n == nil {
		return Credentials{}
	}
	s := o.Object("credentials")
	defer s.Done()
	r := Credentials{User: s.Str("user", ""), Password: s.Str("password", "")}
	if r.User == "" {
		s.Missing("user", "the MQTT user name")
	}
	return r
}

func secureURL(s string) bool {
	return strings.HasPrefix(s, "ssl:") || strings.HasPrefix(s, "tls:") || strings.HasPrefix(s, "mqtts:")
}

// checkPrefix reports whether s is a topic prefix: one or more levels
// separated by '/', or empty.
func checkPrefix(s string) error {
	if s == "" {
		return nil
	}
	for _, t := range strings.Split(s, "/") {
		if err := busmsg.CheckToken(t); err != nil {
			return err
		}
	}
	return nil
}

// checkFilter reports whether s is an MQTT topic filter.
func checkFilter(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	if len(s) > 65535 {
		return fmt.Errorf("longer than 65535 bytes")
	}
	levels := strings.Split(s, "/")
	for i, l := range levels {
		switch {
		case l == "+":
		case l == "#":
			if i != len(levels)-1 {
				return fmt.Errorf("'#' must be the last level")
			}
		default:
			for j := 0; j < len(l); j++ {
				if c := l[j]; c < ' ' || c == 0x7F || c == '+' || c == '#' {
					return fmt.Errorf("level %q: %q is not allowed", l, c)
				}
			}
		}
	}
	return nil
}
