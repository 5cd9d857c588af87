package busmsg

import (
	"math"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// The signals encoding: one JSON object per CAN message that the DBC
// describes, its signals decoded to physical values (raw × factor +
// offset) with their units, and the value description where the DBC
// names the raw value (VAL_):
//
//	{"time":1733590000123456789,"seq":42,"kind":"can","id":"123","message":"Engine",
//	 "signals":{"Speed":{"value":100,"unit":"km/h"},"Gear":{"value":1,"text":"Drive"}}}
//
// Multiplexed signals appear when the multiplexer selects them; a signal
// that lies beyond a shorter frame's data is left out.

// LoadDBC reads and parses a DBC file. Its errors name the file and line.
func LoadDBC(path string) (*can.DBC, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return can.ParseDBC(path, b)
}

// Signals encodes frames as signals objects with a DBC.
type Signals struct {
	dbc  *can.DBC
	sigs []can.Signal
	cf   can.FDFrame
}

// NewSignals returns an encoder for the messages of d.
func NewSignals(d *can.DBC) *Signals { return &Signals{dbc: d} }

// Append appends the signals object of frame f with sequence number seq.
// ok is false, and b unchanged, when f is not a classic CAN data frame
// whose ID the DBC describes.
func (s *Signals) Append(b []byte, f *frame.Frame, seq uint64) (out []byte, ok bool) {
	if f.Type != frame.CAN || f.ID&(frame.CANRTRFlag|frame.CANERRFlag) != 0 {
		return b, false
	}
	frame.ToCAN(&s.cf, f)
	name, sigs, ok := s.dbc.AppendDecode(s.sigs[:0], &s.cf)
	s.sigs = sigs
	if !ok {
		return b, false
	}
	b = append(b, `{"time":`...)
	b = strconv.AppendInt(b, f.Time, 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"kind":"can","id":"`...)
	b = AppendID(b, f)
	b = append(b, `","message":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"signals":{`...)
	for i := range sigs {
		sg := &sigs[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, sg.Name)
		b = append(b, `:{"value":`...)
		b = appendNumber(b, sg.Value)
		if sg.Unit != "" {
			b = append(b, `,"unit":`...)
			b = appendJSONString(b, sg.Unit)
		}
		if sg.Description != "" {
			b = append(b, `,"text":`...)
			b = appendJSONString(b, sg.Description)
		}
		b = append(b, '}')
	}
	return append(b, "}}"...), true
}

// appendNumber appends v as a JSON number (null for NaN and infinities,
// which JSON cannot write and a DBC should not produce).
func appendNumber(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendJSONString appends s as a JSON string; bytes that are not UTF-8
// (a DBC in Windows-1252, say) become U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, `\u00`...)
				b = append(b, hexUpper[c>>4], hexUpper[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\uFFFD`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
