package busmsg

import (
	"path/filepath"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// DecodeEncoding reads the encoding and dbc fields the broker kinds share:
// the encoding (binary by default), the DBC file's path (relative to the
// configuration file) and the DBC parsed from it. The signals encoding
// needs a DBC and no other takes one; a DBC with errors is refused with
// its file:line. Errors are reported on o.
func DecodeEncoding(o *config.Object) (encoding, dbcPath string, db *can.DBC) {
	encoding = o.OneOf("encoding", EncodingBinary, EncodingBinary, EncodingJSON, EncodingSignals)
	dbcPath = o.Str("dbc", "")
	if dbcPath != "" && !filepath.IsAbs(dbcPath) {
		// Relative to the configuration file, wherever it is run from.
		dbcPath = filepath.Join(filepath.Dir(o.Pos(nil).File), dbcPath)
	}
	switch {
	case encoding == EncodingSignals && dbcPath == "":
		o.Missing("dbc", "the signals encoding decodes frames with a DBC file")
	case encoding != EncodingSignals && dbcPath != "":
		o.Errorf(o.Get("dbc"), o.Field("dbc"), "set encoding: signals, or remove dbc", "dbc applies to the signals encoding only")
	case dbcPath != "":
		var err error
		if db, err = LoadDBC(dbcPath); err != nil {
			o.Errorf(o.Get("dbc"), o.Field("dbc"), "fix the DBC file at the position named", "%v", err)
		}
	}
	return encoding, dbcPath, db
}
