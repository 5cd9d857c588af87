package nats

import (
	"net/url"
	"strings"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// rttEvery is how often the client measures the round trip to its server
// (a PING through the connection, behind what it is writing).
const rttEvery = 5 * time.Second

// setBroker stores a new description of the connection in
// Stats.Broker: the last one changed by f.
func (c *conn) setBroker(f func(b *endpoint.BrokerConn)) {
	c.bmu.Lock()
	defer c.bmu.Unlock()
	var b endpoint.BrokerConn
	if old := c.env.Stats.Broker.Load(); old != nil {
		b = *old
	}
	f(&b)
	c.env.Stats.Broker.Store(&b)
}

// setState records a new connection state, and the server when the
// client is connected.
func (c *conn) setState(state, url, server string) {
	now := time.Now()
	c.setBroker(func(b *endpoint.BrokerConn) {
		if url != "" {
			b.URL = url
		}
		if server != "" {
			b.Server = server
		}
		if b.State != state {
			b.State, b.Since = state, now
		}
	})
}

// measureRTT measures the round trip to the server now and every
// rttEvery while the endpoint is open (done closed).
func (c *conn) measureRTT(done <-chan struct{}) {
	t := time.NewTicker(rttEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-c.upChan():
		}
		if rtt, err := c.nc.RTT(); err == nil {
			c.setBroker(func(b *endpoint.BrokerConn) { b.RTT = rtt })
		}
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
}

// redact returns a comma-separated list of server URLs without the
// passwords or tokens (a user name without password) some may carry.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			parts[i] = "(unparsable URL)"
			continue
		}
		if u.User != nil {
			if _, ok := u.User.Password(); !ok {
				u.User = url.User("xxxxx")
			}
		}
		parts[i] = u.Redacted()
	}
	return strings.Join(parts, ",")
}
