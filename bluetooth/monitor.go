package bluetooth

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/fieldgate/fieldgate/core"
)

// MonitorOpcode is the kind of a monitor channel packet (struct
// hci_mon_hdr's opcode, HCI_MON_*).
type MonitorOpcode uint16

// Monitor packet kinds (include/net/bluetooth/hci_mon.h).
const (
	MonNewIndex     MonitorOpcode = 0  // a controller was registered; NewIndex payload
	MonDelIndex     MonitorOpcode = 1  // a controller was unregistered
	MonCommand      MonitorOpcode = 2  // command sent to the controller; Command payload
	MonEvent        MonitorOpcode = 3  // event from the controller; Event payload
	MonACLTx        MonitorOpcode = 4  // ACL data sent
	MonACLRx        MonitorOpcode = 5  // ACL data received
	MonSCOTx        MonitorOpcode = 6  // SCO data sent
	MonSCORx        MonitorOpcode = 7  // SCO data received
	MonOpenIndex    MonitorOpcode = 8  // the controller was opened (powered up)
	MonCloseIndex   MonitorOpcode = 9  // the controller was closed (powered down)
	MonIndexInfo    MonitorOpcode = 10 // address and manufacturer; IndexInfo payload
	MonVendorDiag   MonitorOpcode = 11 // vendor diagnostics
	MonSystemNote   MonitorOpcode = 12 // text note from the kernel
	MonUserLogging  MonitorOpcode = 13 // user logging
	MonCtrlOpen     MonitorOpcode = 14 // a socket opened a control/raw/user channel
	MonCtrlClose    MonitorOpcode = 15 // such a socket closed
	MonCtrlCommand  MonitorOpcode = 16 // management command
	MonCtrlEvent    MonitorOpcode = 17 // management event
	MonISOTx        MonitorOpcode = 18 // ISO data sent
	MonISORx        MonitorOpcode = 19 // ISO data received
	monitorOpcodeNb               = 20
)

var monitorNames = [monitorOpcodeNb]string{
	"NewIndex", "DelIndex", "Command", "Event", "ACLTx", "ACLRx", "SCOTx", "SCORx",
	"OpenIndex", "CloseIndex", "IndexInfo", "VendorDiag", "SystemNote", "UserLogging",
	"CtrlOpen", "CtrlClose", "CtrlCommand", "CtrlEvent", "ISOTx", "ISORx",
}

// String returns the kind's name, as btmon's "= New Index" etc. without spaces.
func (o MonitorOpcode) String() string {
	if o < monitorOpcodeNb {
		return monitorNames[o]
	}
	return "MonitorOpcode(" + strconv.Itoa(int(o)) + ")"
}

// SizeofMonitorHeader is the size of struct hci_mon_hdr.
const SizeofMonitorHeader = 6

// MonitorPacket is one packet from the HCI monitor channel: what kind, for
// which controller index (HCI_DEV_NONE for none), and the payload.
type MonitorPacket struct {
	Opcode MonitorOpcode
	Index  uint16
	Data   []byte
}

// ParseMonitor decodes struct hci_mon_hdr (le16 opcode, index, length) and
// the payload, whose length must match the header's exactly. Data aliases b.
func ParseMonitor(b []byte) (MonitorPacket, error) {
	if len(b) < SizeofMonitorHeader {
		return MonitorPacket{}, fmt.Errorf("%w: monitor packet of %d bytes", ErrShort, len(b))
	}
	le := binary.LittleEndian
	p := MonitorPacket{Opcode: MonitorOpcode(le.Uint16(b)), Index: le.Uint16(b[2:])}
	n := int(le.Uint16(b[4:]))
	if len(b)-SizeofMonitorHeader < n {
		return MonitorPacket{}, fmt.Errorf("%w: monitor %v declares %d bytes, has %d", ErrShort, p.Opcode, n, len(b)-SizeofMonitorHeader)
	}
	if len(b)-SizeofMonitorHeader > n {
		return MonitorPacket{}, fmt.Errorf("bluetooth: monitor %v declares %d bytes, has %d", p.Opcode, n, len(b)-SizeofMonitorHeader)
	}
	p.Data = b[SizeofMonitorHeader:]
	return p, nil
}

// AppendBinary appends the header and payload to b.
func (p MonitorPacket) AppendBinary(b []byte) ([]byte, error) {
	if len(p.Data) > 0xffff {
		return b, fmt.Errorf("bluetooth: monitor payload of %d bytes", len(p.Data))
	}
	le := binary.LittleEndian
	b = le.AppendUint16(b, uint16(p.Opcode))
	b = le.AppendUint16(b, p.Index)
	b = le.AppendUint16(b, uint16(len(p.Data)))
	return append(b, p.Data...), nil
}

// Event decodes a MonEvent payload.
func (p MonitorPacket) Event() (Event, error) {
	if p.Opcode != MonEvent {
		return Event{}, fmt.Errorf("bluetooth: monitor %v is not an event", p.Opcode)
	}
	return ParseEvent(p.Data)
}

// Command decodes a MonCommand payload.
func (p MonitorPacket) Command() (Command, error) {
	if p.Opcode != MonCommand {
		return Command{}, fmt.Errorf("bluetooth: monitor %v is not a command", p.Opcode)
	}
	return ParseCommand(p.Data)
}

// NewIndex is a MonNewIndex payload (struct hci_mon_new_index).
type NewIndex struct {
	// Type is the controller type (0 primary, 1 AMP).
	Type uint8
	// Bus is the transport (Bus constants).
	Bus    Bus
	BDAddr core.BDAddr
	// Name is the kernel's name for the controller, "hciN".
	Name string
}

// NewIndex decodes a MonNewIndex payload (16 bytes).
func (p MonitorPacket) NewIndex() (NewIndex, error) {
	if err := p.payload(MonNewIndex, "NewIndex", 16); err != nil {
		return NewIndex{}, err
	}
	a, _ := parseBDAddr(p.Data[2:])
	return NewIndex{Type: p.Data[0], Bus: Bus(p.Data[1]), BDAddr: a, Name: cString(p.Data[8:16])}, nil
}

// payload checks that p is a packet of opcode op (called name in errors)
// with at least n payload bytes.
func (p MonitorPacket) payload(op MonitorOpcode, name string, n int) error {
	if p.Opcode != op {
		return fmt.Errorf("bluetooth: monitor %v is not %s", p.Opcode, name)
	}
	if len(p.Data) < n {
		return fmt.Errorf("%w: %s of %d bytes, want %d", ErrShort, name, len(p.Data), n)
	}
	return nil
}

// IndexInfo is a MonIndexInfo payload (struct hci_mon_index_info).
type IndexInfo struct {
	BDAddr       core.BDAddr
	Manufacturer uint16
}

// IndexInfo decodes a MonIndexInfo payload (8 bytes).
func (p MonitorPacket) IndexInfo() (IndexInfo, error) {
	if err := p.payload(MonIndexInfo, "IndexInfo", 8); err != nil {
		return IndexInfo{}, err
	}
	a, _ := parseBDAddr(p.Data)
	return IndexInfo{BDAddr: a, Manufacturer: binary.LittleEndian.Uint16(p.Data[6:])}, nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
