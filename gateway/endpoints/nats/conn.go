package nats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/internal/tlsconf"
)

// conn is one nats endpoint: a client connection (to the embedded server
// or a cluster) that publishes the frames sent to it and delivers the
// messages of its subscriptions (or of a replayed stream).
type conn struct {
	cfg *Config
	env *endpoint.Env
	srv *server.Server // embedded server, nil with url
	nc  *natsio.Conn
	js  jetstream.JetStream // with jetstream or replay

	// session identifies this run in the Fieldgate-Session header and in
	// Nats-Msg-Id (16 hex digits).
	session string

	mu sync.Mutex
	up chan struct{} // closed while connected

	// maxPayload is the server's max_payload, read when the client
	// connects (a publish reads it without the client's lock).
	maxPayload atomic.Int64

	bmu       sync.Mutex    // serialises updates of env.Stats.Broker
	done      chan struct{} // closed by Close (stops measureRTT)
	closeOnce sync.Once
	// ctx ends when the endpoint closes: the coalesce timer's publish
	// waits for the connection until then.
	ctx    context.Context
	cancel context.CancelFunc

	pub  publisher
	jsp  jsPublisher
	subs []*natsio.Subscription
	msgs chan *natsio.Msg
	rx   receiver
}

var _ endpoint.Transceiver = (*conn)(nil)

// msgQueue is how many received messages wait for the gateway before
// the client counts more as dropped (slow consumer).
const msgQueue = 8192

func open(ctx context.Context, ec *config.Endpoint, env *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	c := &conn{cfg: cfg, env: env, up: make(chan struct{}), done: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	var sb [8]byte
	rand.Read(sb[:])
	c.session = hex.EncodeToString(sb[:])
	opts, err := c.options()
	if err != nil {
		return nil, err
	}
	urls := strings.Join(cfg.URLs, ",")
	if cfg.Embedded() {
		if c.srv, err = startServer(cfg, env.Log); err != nil {
			return nil, err
		}
		urls = c.srv.ClientURL()
	}
	c.setState(endpoint.BrokerConnecting, redact(urls), "")
	c.nc, err = natsio.Connect(urls, opts...)
	if err != nil {
		c.shutdownServer()
		return nil, fmt.Errorf("connect %s: %w", urls, err)
	}
	if cfg.JetStream != nil || cfg.Replay != nil {
		var jopts []jetstream.JetStreamOpt
		if cfg.JetStream != nil {
			jopts = append(jopts, jetstream.WithPublishAsyncTimeout(cfg.JetStream.AckTimeout))
		}
		if c.js, err = jetstream.New(c.nc, jopts...); err != nil {
			c.Close()
			return nil, fmt.Errorf("jetstream: %w", err)
		}
	}
	c.pub.init(c)
	c.rx.init(c)
	if len(cfg.Subscribe) > 0 {
		c.msgs = make(chan *natsio.Msg, msgQueue)
		for _, s := range cfg.Subscribe {
			sub, err := c.nc.ChanSubscribe(s, c.msgs)
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("subscribe %s: %w", s, err)
			}
			c.subs = append(c.subs, sub)
		}
	}
	// After the subscriptions: the first round trip measured then also
	// tells that the server has them (it handles the SUBs first).
	go c.measureRTT(c.done)
	return c, nil
}

// options are the client's: never give up reconnecting, with the
// configured backoff; no reconnect buffer inside the client (frames wait
// in the endpoint's queue, where they are counted); no echo of our own
// publications to our subscriptions; no check of each published subject
// for white space, which the endpoint's subjects cannot hold (their
// tokens are checked by decode or made tokens by busmsg.AppendToken; a
// stream name is checked by decode as well).
func (c *conn) options() ([]natsio.Option, error) {
	cfg := c.cfg
	opts := []natsio.Option{
		natsio.Name("fieldgate " + cfg.Gateway + " " + c.env.Name),
		natsio.NoEcho(),
		natsio.SkipSubjectValidation(),
		natsio.MaxReconnects(-1),
		natsio.RetryOnFailedConnect(true),
		natsio.ReconnectBufSize(-1),
		natsio.CustomReconnectDelay(func(attempts int) time.Duration {
			d := cfg.Reconnect.Min
			for i := 1; i < attempts && d < cfg.Reconnect.Max; i++ {
				d *= 2
			}
			return min(d, cfg.Reconnect.Max)
		}),
		natsio.ConnectHandler(func(nc *natsio.Conn) { c.connected(nc, "connected") }),
		natsio.ReconnectHandler(func(nc *natsio.Conn) { c.connected(nc, "reconnected") }),
		natsio.DisconnectErrHandler(c.disconnected),
		natsio.ErrorHandler(func(_ *natsio.Conn, _ *natsio.Subscription, err error) {
			if !errors.Is(err, natsio.ErrSlowConsumer) { // counted from the subscriptions
				c.env.Log.Warn("nats error", "err", err)
			}
		}),
	}
	t, err := tlsconf.Load(cfg.TLS, false)
	if err != nil {
		return nil, err
	}
	if t != nil {
		opts = append(opts, natsio.Secure(t))
	}
	cr := cfg.Credentials
	switch {
	case cr.User != "":
		opts = append(opts, natsio.UserInfo(cr.User, cr.Password))
	case cr.Token != "":
		opts = append(opts, natsio.Token(cr.Token))
	case cr.NKey != "":
		o, err := natsio.NkeyOptionFromSeed(cr.NKey)
		if err != nil {
			return nil, fmt.Errorf("credentials.nkey: %w", err)
		}
		opts = append(opts, o)
	case cr.Creds != "":
		opts = append(opts, natsio.UserCredentials(cr.Creds))
	}
	return opts, nil
}

// connected is the client's (re)connect handler; it uses nc, not c.nc,
// which open may still be assigning.
func (c *conn) connected(nc *natsio.Conn, what string) {
	// The server and state first: whoever sees the peer count sees them.
	c.maxPayload.Store(nc.MaxPayload())
	url := redact(nc.ConnectedUrl())
	c.setState(endpoint.BrokerConnected, url, nc.ConnectedServerName())
	c.mu.Lock()
	select {
	case <-c.up:
	default:
		close(c.up)
		c.env.Stats.Peers.Store(1)
		c.env.Stats.Connects.Add(1)
		if what == "reconnected" {
			c.env.Stats.Reconnects.Add(1)
		}
	}
	c.mu.Unlock()
	c.env.Log.Info(what, "server", url)
}

// disconnected is the client's disconnect handler (nc, not c.nc, as for
// connected).
func (c *conn) disconnected(nc *natsio.Conn, err error) {
	if !nc.IsClosed() {
		c.setState(endpoint.BrokerReconnecting, "", "")
	}
	c.mu.Lock()
	select {
	case <-c.up:
		c.up = make(chan struct{})
		c.env.Stats.Peers.Store(0)
	default:
	}
	c.mu.Unlock()
	if err != nil {
		c.env.Log.Warn("disconnected; reconnecting", "err", err)
	}
}

// upChan returns a channel closed while the connection is up.
func (c *conn) upChan() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up
}

// waitConnected returns once the client is connected, or ctx's error.
func (c *conn) waitConnected(ctx context.Context) error {
	for !c.nc.IsConnected() {
		if c.nc.IsClosed() {
			return natsio.ErrConnectionClosed
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.upChan():
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func (c *conn) Close() error {
	c.closeOnce.Do(func() { close(c.done) })
	c.cancel()
	if c.pub.c != nil {
		c.flushOnClose()
	}
	for _, s := range c.subs {
		s.Unsubscribe()
	}
	if c.nc != nil {
		c.nc.Close()
	}
	c.env.Stats.Peers.Store(0)
	c.setState(endpoint.BrokerClosed, "", "")
	c.shutdownServer()
	return nil
}

func (c *conn) shutdownServer() {
	if c.srv != nil {
		c.srv.Shutdown()
		c.srv.WaitForShutdown()
	}
}

// Addr returns the embedded server's client URL ("" with url).
func (c *conn) Addr() string {
	if c.srv == nil {
		return ""
	}
	return c.srv.ClientURL()
}
