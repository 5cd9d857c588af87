// Package console is the gateway's `console` endpoint kind: a source whose
// frames come from the web console's send form (package gateway/console,
// POST /console/send on the admin port). Declaring one is what enables
// sending from the console; without it the console is read-only.
//
// Its frames are untrusted (config.TrustRemote), like those of any network
// link: they reach a bus only through a route whose `allow` list admits
// them, and each refused frame counts as a not_allowed drop. It has no
// dependency beyond the engine's packages.
package console

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "console",
			Doc:    "frames sent from the web console on the admin port (a source)",
			Fields: fields,
			Decode: decode,
		},
		Open: open,
	})
}
