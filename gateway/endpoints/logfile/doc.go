// Package logfile is the gateway's `log` endpoint kind: frames written to a
// candump log file (candump -l format, readable by canplayer and
// python-can) with size-based rotation, or a log replayed as a source, as
// fast as possible or with its original timing.
//
// It uses the can package's candump log codec.
package logfile

import (
	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

func init() {
	endpoint.Register(endpoint.Kind{
		Kind: config.Kind{
			Name:   "log",
			Doc:    "candump log file: record, or replay as a source",
			Fields: fields,
			Decode: decode,
		},
		Open: open,
	})
}
