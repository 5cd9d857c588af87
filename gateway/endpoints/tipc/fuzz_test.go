package tipc_test

import (
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/tipc"
	tp "github.com/fieldgate/fieldgate/tipc"
)

// FuzzDecode decodes arbitrary tipc endpoint mappings: no panic, every
// error has a position, and settings that decode without error are what
// the kernel accepts (a type of 64 or above, lower <= upper, one instance
// for a client, a scope for a server only, pdus only over stream; an rdm
// endpoint with a service or a destination or both, a destination range
// only to multicast).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{kind: tipc, service: {type: 18888, instance: 17}}`,
		`{kind: tipc, mode: client, service: {type: 18888, instance: 17}, socket: seqpacket}`,
		`{kind: tipc, service: {type: 0x4000, lower: 1, upper: 0xffffffff}, scope: node, pdus: true}`,
		`{kind: tipc, service: {type: 63, lower: 2, upper: 1, instance: 0}, scope: zone}`,
		`{kind: tipc, service: [1, 2]}`,
		`{kind: tipc, socket: rdm, service: {type: 18900, instance: 1}, to: {type: 18901, lower: 0, upper: 9}}`,
		`{kind: tipc, socket: rdm, to: {type: 18901, instance: 3}, scope: node, max_clients: 2}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ep string) {
		c, err := config.Parse("f.yaml", []byte("admin: {listen: \"\"}\nendpoints:\n  rec: {kind: log, path: /tmp/f.log}\n  a: "+ep+"\nroutes:\n  - {name: r, from: [a], to: [rec]}\n"))
		if err != nil {
			if es, ok := err.(config.Errors); ok {
				for _, e := range es {
					if e.Pos.File != "f.yaml" || e.Msg == "" {
						t.Fatalf("error without position or message: %#v", e)
					}
				}
			}
			return
		}
		s, ok := c.Endpoint("a").Settings.(*tipc.Config)
		if !ok {
			return // another kind
		}
		r := s.Service
		if s.SocketType == tipc.RDM {
			to := s.To
			switch {
			case s.Role != config.Server:
				t.Fatalf("rdm client: %+v", s)
			case r.Type == 0 && to.Type == 0:
				t.Fatalf("rdm with neither service nor to: %+v", s)
			case r.Type == 0 && (s.Scope != 0 || s.Binds() != nil):
				t.Fatalf("rdm without service has a scope or bind: %+v", s)
			case r.Type != 0 && (r.Type < tp.ReservedTypes || r.Lower > r.Upper || len(s.Binds()) != 1):
				t.Fatalf("rdm service: %+v", s)
			case to.Type != 0 && (to.Type < tp.ReservedTypes || to.Lower > to.Upper):
				t.Fatalf("rdm to: %+v", s)
			case !s.Multicast && to.Lower != to.Upper:
				t.Fatalf("rdm anycast to a range: %+v", s)
			}
			return
		}
		switch {
		case r.Type < tp.ReservedTypes:
			t.Fatalf("accepted reserved type: %+v", s)
		case r.Lower > r.Upper:
			t.Fatalf("accepted lower > upper: %+v", s)
		case s.Role == config.Client && (r.Lower != r.Upper || s.Scope != 0 || s.Binds() != nil):
			t.Fatalf("client with a range, scope or bind: %+v", s)
		case s.Role == config.Server && (s.Scope != tp.ClusterScope && s.Scope != tp.NodeScope || len(s.Binds()) != 1):
			t.Fatalf("server without scope or bind: %+v", s)
		case s.SocketType != tipc.Stream && s.SocketType != tipc.SeqPacket:
			t.Fatalf("socket type %q", s.SocketType)
		case s.PDUs && s.SocketType != tipc.Stream:
			t.Fatalf("pdus over seqpacket: %+v", s)
		}
	})
}
