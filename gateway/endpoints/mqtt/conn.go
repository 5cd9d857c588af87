package mqtt

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/fieldgate/fieldgate/gateway/busmsg"
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/internal/tlsconf"
)

// conn is one mqtt endpoint: a client connection to a broker that
// publishes the frames sent to it and delivers the messages of its
// subscriptions. A goroutine of its own (run) connects, and connects
// again with backoff whenever the connection is lost.
type conn struct {
	cfg   *Config
	env   *endpoint.Env
	cl    paho.Client
	store *store

	mu   sync.Mutex
	up   chan struct{} // closed while connected
	lost chan struct{} // signalled by the client's connection-lost handler

	stop context.CancelFunc
	done chan struct{}

	msgs chan paho.Message
	pub  publisher
	rx   receiver
}

var _ endpoint.Transceiver = (*conn)(nil)

// msgQueue is how many received messages wait for the gateway before
// more are counted queue_overflow.
const msgQueue = 8192

// Timeouts of the client's own operations.
const (
	connectTimeout = 10 * time.Second
	writeTimeout   = 10 * time.Second
	opTimeout      = 10 * time.Second
)

func open(ctx context.Context, ec *config.Endpoint, env *endpoint.Env) (endpoint.Transceiver, error) {
	cfg := ec.Settings.(*Config)
	c := &conn{cfg: cfg, env: env, up: make(chan struct{}), lost: make(chan struct{}, 1), done: make(chan struct{})}
	c.store = newStore(&env.Stats.PendingAcks)
	opts, err := c.options(ec.Name)
	if err != nil {
		return nil, err
	}
	c.cl = paho.NewClient(opts)
	c.pub.init(c)
	c.rx.init(c)
	if len(cfg.Subscribe) > 0 {
		c.msgs = make(chan paho.Message, msgQueue)
	}
	rctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	go c.run(rctx)
	return c, nil
}

// options are the client's. The client does not reconnect by itself (run
// does, with the configured backoff). With QoS 1 the session is kept
// (clean session off): the client publishes unacknowledged messages again
// after a reconnect, and the broker keeps the subscriptions' messages
// while the gateway is away.
func (c *conn) options(name string) (*paho.ClientOptions, error) {
	cfg := c.cfg
	id := cfg.ClientID
	if id == "" {
		id = "fieldgate-" + cfg.Gateway + "-" + string(busmsg.AppendToken(nil, name))
	}
	o := paho.NewClientOptions().
		AddBroker(cfg.URL).
		SetClientID(id).
		SetProtocolVersion(4).
		SetCleanSession(cfg.QoS == 0).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetResumeSubs(false).
		SetOrderMatters(true).
		SetKeepAlive(cfg.KeepAlive).
		SetPingTimeout(max(cfg.KeepAlive/2, time.Second)).
		SetConnectTimeout(connectTimeout).
		SetWriteTimeout(writeTimeout).
		SetStore(c.store).
		SetConnectionLostHandler(func(_ paho.Client, err error) { c.connectionLost(err) })
	if cfg.Liveness {
		o.SetBinaryWill(cfg.StatusTopic(), []byte(Offline), 1, true)
	}
	t, err := tlsconf.Load(cfg.TLS, false)
	if err != nil {
		return nil, err
	}
	if t != nil {
		o.SetTLSConfig(t)
	}
	if cfg.Credentials.User != "" {
		o.SetUsername(cfg.Credentials.User)
		o.SetPassword(cfg.Credentials.Password)
	}
	return o, nil
}

// run connects, subscribes and announces the gateway online, then waits
// for the connection to be lost and connects again, with backoff, until
// ctx ends.
func (c *conn) run(ctx context.Context) {
	defer close(c.done)
	delay := c.cfg.Reconnect.Min
	everUp := false
	for {
		held := c.store.publishes()
		err := c.connect(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			c.env.Log.Warn("connect failed; retrying", "broker", redact(c.cfg.URL), "in", delay, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, c.cfg.Reconnect.Max)
			continue
		}
		delay = c.cfg.Reconnect.Min
		c.env.Stats.Connects.Add(1)
		if everUp {
			c.env.Stats.Reconnects.Add(1)
			c.env.Stats.Republished.Add(uint64(held))
			c.env.Log.Info("reconnected", "broker", redact(c.cfg.URL), "republished", held)
		} else {
			c.env.Log.Info("connected", "broker", redact(c.cfg.URL))
		}
		everUp = true
		c.setUp(true)
		select {
		case <-ctx.Done():
			return
		case <-c.lost:
		}
		c.setUp(false)
	}
}

// connect makes one connection: CONNECT, the subscriptions, the online
// message. A connection that fails after CONNECT is closed again.
func (c *conn) connect(ctx context.Context) error {
	select { // a loss signalled by an earlier connection
	case <-c.lost:
	default:
	}
	t := c.cl.Connect()
	if err := wait(ctx, t, connectTimeout+time.Second); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	fail := func(err error) error {
		c.cl.Disconnect(0)
		return err
	}
	if len(c.cfg.Subscribe) > 0 {
		filters := make(map[string]byte, len(c.cfg.Subscribe))
		for _, f := range c.cfg.Subscribe {
			filters[f] = c.cfg.QoS
		}
		st := c.cl.SubscribeMultiple(filters, c.handle)
		if err := wait(ctx, st, opTimeout); err != nil {
			return fail(fmt.Errorf("subscribe: %w", err))
		}
		for f, q := range st.(*paho.SubscribeToken).Result() {
			if q == 0x80 {
				return fail(fmt.Errorf("subscribe %s: refused by the broker", f))
			}
		}
	}
	if c.cfg.Liveness {
		pt := c.cl.Publish(c.cfg.StatusTopic(), 1, true, []byte(Online))
		if err := wait(ctx, pt, opTimeout); err != nil {
			return fail(fmt.Errorf("publish %s: %w", c.cfg.StatusTopic(), err))
		}
	}
	return nil
}

// wait waits for t to complete, for at most d.
func wait(ctx context.Context, t paho.Token, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return errors.New("timed out")
	}
}

func (c *conn) connectionLost(err error) {
	c.env.Log.Warn("connection lost; reconnecting", "broker", redact(c.cfg.URL), "err", err)
	select {
	case c.lost <- struct{}{}:
	default:
	}
}

func (c *conn) setUp(up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.up:
		if !up {
			c.up = make(chan struct{})
			c.env.Stats.Peers.Store(0)
		}
	default:
		if up {
			close(c.up)
			c.env.Stats.Peers.Store(1)
		}
	}
}

// upChan returns a channel closed while the connection is up.
func (c *conn) upChan() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.up
}

// waitUp returns once the client is connected, or ctx's error.
func (c *conn) waitUp(ctx context.Context) error {
	select {
	case <-c.upChan():
		return nil
	default:
	}
	select {
	case <-c.upChan():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close says offline (retained; the will covers a gateway that dies
// instead), disconnects and stops reconnecting.
func (c *conn) Close() error {
	c.stop()
	<-c.done
	if c.cfg.Liveness && c.cl.IsConnectionOpen() {
		t := c.cl.Publish(c.cfg.StatusTopic(), 1, true, []byte(Offline))
		t.WaitTimeout(5 * time.Second)
	}
	c.cl.Disconnect(250)
	c.setUp(false)
	c.env.Stats.Peers.Store(0)
	return nil
}

// redact returns a URL without its password.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}
