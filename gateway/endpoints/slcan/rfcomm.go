package slcan

import (
	"context"
	"log/slog"
	"net"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/bluetooth"
	"github.com/fieldgate/fieldgate/gateway/internal/peerlimit"
)

// rfcommFields are the rfcomm kind's address fields, for transport:
// rfcomm (documented with that prefix).
var rfcommFields = func() []config.Field {
	out := make([]config.Field, len(bluetooth.RFCOMMLinkFields))
	for i, f := range bluetooth.RFCOMMLinkFields {
		f.Doc = "rfcomm " + f.Doc
		out[i] = f
	}
	return out
}()

// rfcommKeys are the names of rfcommFields.
var rfcommKeys = func() []string {
	var out []string
	for _, f := range bluetooth.RFCOMMLinkFields {
		out = append(out, f.Name)
	}
	return out
}()

// rfcommTransport returns the Transport of an RFCOMM client (a Dialer)
// or server (a Server, one peer at a time, behind the peers allow list).
// A server's refusals are counted as the rfcomm kind counts them: a
// device not in peers as a not_allowed rejection and an auth drop, a
// second peer while one is served as max_clients.
func rfcommTransport(ctx context.Context, l *bluetooth.RFCOMMLink, mode config.Role, e *endpoint.Env) (Transport, error) {
	if err := l.Check(); err != nil {
		return nil, err
	}
	if mode == config.Client {
		return &describedDialer{Dialer: Dialer(l.Dial), what: l.Describe()}, nil
	}
	ln, err := l.Listen(ctx)
	if err != nil {
		return nil, err
	}
	return &describedServer{Server: filteredServer(ln, l.AllowPeer, e), what: l.Describe()}, nil
}

// filteredServer is a Server on ln, one peer at a time, that serves only
// the connections allow admits. A refused one is counted before it is
// closed (an allow_peers rejection and an auth drop) and logged with
// allow's reason; one that arrives while a peer is served is counted as
// max_clients.
func filteredServer(ln net.Listener, allow func(net.Conn) error, e *endpoint.Env) *Server {
	log := &peerlimit.Log{Logger: e.Log, Suppressed: &e.Stats.LogSuppressed}
	fl := &filteringListener{Listener: ln, allow: allow, refused: func(a net.Addr, why error) {
		e.Drop(endpoint.ReasonAuth, 1)
		e.Stats.Rejected.Add(endpoint.ConnNotAllowed)
		log.Log(slog.LevelWarn, "peers", "peer refused", "peer", a.String(), "err", why)
	}}
	return NewServer(fl, func(a net.Addr) {
		e.Stats.Rejected.Add(endpoint.ConnMaxClients)
		log.Log(slog.LevelWarn, "refused", "connection refused: a peer is connected (one at a time)", "peer", a.String())
	})
}

// filteringListener accepts only the connections allow admits; the
// others are reported to refused and closed.
type filteringListener struct {
	net.Listener
	allow   func(net.Conn) error
	refused func(net.Addr, error)
}

func (l *filteringListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if why := l.allow(c); why != nil {
			l.refused(c.RemoteAddr(), why)
			c.Close()
			continue
		}
		return c, nil
	}
}

// describedDialer and describedServer name the RFCOMM link in logs.
type describedDialer struct {
	Dialer
	what string
}

func (d *describedDialer) Describe() string { return d.what }

type describedServer struct {
	*Server
	what string
}

func (s *describedServer) Describe() string { return s.what }
