package can

import (
	"fmt"
	"strconv"
	"strings"

	einride "go.einride.tech/can"
	"go.einride.tech/can/pkg/dbc"
	"go.einride.tech/can/pkg/descriptor"
)

// DBC is a CAN database (a .dbc file) used to decode frames into signals
// for human-readable dumps. Parsing is einride's DBC parser; signal
// extraction is its descriptor package, reached through Frame.Einride.
type DBC struct {
	msgs map[uint32]*dbcMessage // key: raw can_id (EFFFlag for extended)
}

type dbcMessage struct {
	name    string
	size    int
	signals []*descriptor.Signal
	mux     *descriptor.Signal
}

// Signal is one decoded signal value.
type Signal struct {
	Name  string
	Value float64 // physical value: raw * factor + offset
	Raw   int64
	Unit  string
	// Description is the value description (VAL_) for Raw, if any.
	Description string
}

// String formats the signal as "Name=Value Unit" or "Name=Description".
func (s Signal) String() string {
	v := strconv.FormatFloat(s.Value, 'g', -1, 64)
	switch {
	case s.Description != "":
		return s.Name + "=" + s.Description
	case s.Unit != "":
		return s.Name + "=" + v + " " + s.Unit
	}
	return s.Name + "=" + v
}

// ParseDBC parses a DBC file; name is used in error messages (file:line).
func ParseDBC(name string, data []byte) (*DBC, error) {
	p := dbc.NewParser(name, data)
	if err := p.Parse(); err != nil {
		return nil, fmt.Errorf("can: DBC %v", err)
	}
	d := &DBC{msgs: map[uint32]*dbcMessage{}}
	vals := map[string][]*descriptor.ValueDescription{}
	for _, def := range p.Defs() {
		if vd, ok := def.(*dbc.ValueDescriptionsDef); ok && vd.ObjectType == dbc.ObjectTypeSignal {
			key := fmt.Sprintf("%d/%s", vd.MessageID, vd.SignalName)
			for _, v := range vd.ValueDescriptions {
				vals[key] = append(vals[key], &descriptor.ValueDescription{Value: int64(v.Value), Description: v.Description})
			}
		}
	}
	for _, def := range p.Defs() {
		md, ok := def.(*dbc.MessageDef)
		if !ok {
			continue
		}
		id := md.MessageID.ToCAN()
		if md.MessageID.IsExtended() {
			id |= EFFFlag
		}
		m := &dbcMessage{name: string(md.Name), size: int(md.Size)}
		for i := range md.Signals {
			sd := &md.Signals[i]
			if sd.Size == 0 || sd.Size > 64 || sd.StartBit > 63 {
				return nil, fmt.Errorf("can: DBC %s: message %s signal %s: start %d size %d outside 8 bytes",
					sd.Pos, md.Name, sd.Name, sd.StartBit, sd.Size)
			}
			s := &descriptor.Signal{
				Name: string(sd.Name), Start: uint8(sd.StartBit), Length: uint8(sd.Size),
				IsBigEndian: sd.IsBigEndian, IsSigned: sd.IsSigned,
				IsMultiplexer: sd.IsMultiplexerSwitch, IsMultiplexed: sd.IsMultiplexed,
				MultiplexerValue: uint(sd.MultiplexerSwitch),
				Offset:           sd.Offset, Scale: sd.Factor, Min: sd.Minimum, Max: sd.Maximum, Unit: sd.Unit,
				ValueDescriptions: vals[fmt.Sprintf("%d/%s", md.MessageID, sd.Name)],
			}
			if s.Scale == 0 {
				s.Scale = 1
			}
			if s.IsMultiplexer {
				m.mux = s
			}
			m.signals = append(m.signals, s)
		}
		d.msgs[id] = m
	}
	return d, nil
}

// Decode decodes a classic frame's signals. ok is false when the database
// has no message with the frame's identifier or the frame is not classic.
func (d *DBC) Decode(f *FDFrame) (name string, signals []Signal, ok bool) {
	return d.AppendDecode(nil, f)
}

// AppendDecode is Decode appending the signals to dst, so that a caller
// reusing dst decodes without allocating.
func (d *DBC) AppendDecode(dst []Signal, f *FDFrame) (name string, signals []Signal, ok bool) {
	signals = dst
	key := f.ID
	if f.Extended {
		key |= EFFFlag
	}
	m, found := d.msgs[key]
	if !found || f.Error || f.Remote {
		return "", dst, false
	}
	c, classic := f.Classic()
	if !classic {
		return "", dst, false
	}
	data := c.Einride().Data
	var muxVal uint64
	if m.mux != nil {
		muxVal = m.mux.UnmarshalUnsigned(data)
	}
	for _, s := range m.signals {
		if s.IsMultiplexed && uint64(s.MultiplexerValue) != muxVal {
			continue
		}
		if int(s.Start)+int(s.Length) > int(c.Len)*8 && !s.IsBigEndian {
			continue // signal not (fully) present in this shorter frame
		}
		var raw int64
		if s.IsSigned {
			raw = s.UnmarshalSigned(data)
		} else {
			raw = int64(s.UnmarshalUnsigned(data))
		}
		desc, _ := s.ValueDescription(raw)
		signals = append(signals, Signal{Name: s.Name, Value: s.UnmarshalPhysical(data), Raw: raw, Unit: s.Unit, Description: desc})
	}
	return m.name, signals, true
}

// FormatDecoded returns "Name: Sig1=v1 unit, Sig2=v2" for a decoded frame.
func FormatDecoded(name string, signals []Signal) string {
	parts := make([]string, len(signals))
	for i, s := range signals {
		parts[i] = s.String()
	}
	return name + ": " + strings.Join(parts, ", ")
}

var _ = einride.Frame{}
