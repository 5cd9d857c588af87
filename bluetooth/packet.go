package bluetooth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/fieldgate/fieldgate/core"
)

// PacketType is the HCI packet indicator: the first byte of every packet
// read from or written to a raw HCI socket (the H:4 UART framing).
type PacketType uint8

// HCI packet indicators.
const (
	CommandPacket PacketType = 0x01 // HCI_COMMAND_PKT
	ACLPacket     PacketType = 0x02 // HCI_ACLDATA_PKT
	SCOPacket     PacketType = 0x03 // HCI_SCODATA_PKT
	EventPacket   PacketType = 0x04 // HCI_EVENT_PKT
	ISOPacket     PacketType = 0x05 // HCI_ISODATA_PKT
	VendorPacket  PacketType = 0xff // HCI_VENDOR_PKT
)

// Event codes this package decodes.
const (
	EvtDisconnComplete uint8 = 0x05 // Disconnection Complete
	EvtCommandComplete uint8 = 0x0e // Command Complete
	EvtCommandStatus   uint8 = 0x0f // Command Status
	EvtLEMeta          uint8 = 0x3e // LE Meta
)

// ErrShort is the error for a packet shorter than its headers or than the
// length its header gives; errors.Is(err, ErrShort) holds for it.
var ErrShort = errors.New("bluetooth: short HCI packet")

// Event is an HCI event packet: the event code and its parameters, without
// the packet indicator (the form the monitor channel carries; a raw socket
// read adds EventPacket in front, which ParsePacket strips).
type Event struct {
	Code   uint8
	Params []byte
}

// ParseEvent decodes an event packet (code, parameter length, parameters).
// The parameter length must match the bytes that follow exactly. Params
// aliases b.
func ParseEvent(b []byte) (Event, error) {
	if len(b) < 2 {
		return Event{}, fmt.Errorf("%w: event of %d bytes, want at least 2", ErrShort, len(b))
	}
	if n, have := int(b[1]), len(b)-2; n != have {
		return Event{}, paramLenError(fmt.Sprintf("event 0x%02x", b[0]), n, have)
	}
	return Event{Code: b[0], Params: b[2:]}, nil
}

// AppendBinary appends the event packet (without indicator) to b.
func (e Event) AppendBinary(b []byte) ([]byte, error) {
	if len(e.Params) > 255 {
		return b, fmt.Errorf("bluetooth: event 0x%02x has %d parameter bytes, at most 255 fit", e.Code, len(e.Params))
	}
	b = append(b, e.Code, byte(len(e.Params)))
	return append(b, e.Params...), nil
}

// MarshalBinary returns the event packet without indicator.
func (e Event) MarshalBinary() ([]byte, error) { return e.AppendBinary(nil) }

// String returns "event 0xNN (N bytes)".
func (e Event) String() string {
	return "event 0x" + strconv.FormatUint(uint64(e.Code), 16) + " (" + strconv.Itoa(len(e.Params)) + " bytes)"
}

// CommandComplete is the Command Complete event's content.
type CommandComplete struct {
	// NumPackets is how many more commands the controller accepts.
	NumPackets uint8
	Opcode     Opcode
	// Return holds the command's return parameters; for most commands
	// the first is the status (0 = success). It aliases the event.
	Return []byte
}

// CommandComplete decodes a Command Complete event.
func (e Event) CommandComplete() (CommandComplete, error) {
	if e.Code != EvtCommandComplete {
		return CommandComplete{}, fmt.Errorf("bluetooth: event 0x%02x is not Command Complete", e.Code)
	}
	if len(e.Params) < 3 {
		return CommandComplete{}, fmt.Errorf("%w: Command Complete with %d parameter bytes, want at least 3", ErrShort, len(e.Params))
	}
	return CommandComplete{NumPackets: e.Params[0], Opcode: Opcode(binary.LittleEndian.Uint16(e.Params[1:])), Return: e.Params[3:]}, nil
}

// CommandStatus is the Command Status event's content.
type CommandStatus struct {
	Status     uint8
	NumPackets uint8
	Opcode     Opcode
}

// CommandStatus decodes a Command Status event.
func (e Event) CommandStatus() (CommandStatus, error) {
	if e.Code != EvtCommandStatus {
		return CommandStatus{}, fmt.Errorf("bluetooth: event 0x%02x is not Command Status", e.Code)
	}
	if len(e.Params) != 4 {
		return CommandStatus{}, fmt.Errorf("%w: Command Status with %d parameter bytes, want 4", ErrShort, len(e.Params))
	}
	return CommandStatus{Status: e.Params[0], NumPackets: e.Params[1], Opcode: Opcode(binary.LittleEndian.Uint16(e.Params[2:]))}, nil
}

// paramLenError is the error for a packet (what) that declares n
// parameter bytes but has another number (have): fewer is ErrShort, more
// is a malformed packet. Callers build it only on the error path.
func paramLenError(what string, n, have int) error {
	if have < n {
		return fmt.Errorf("%w: %s declares %d parameter bytes, has %d", ErrShort, what, n, have)
	}
	return fmt.Errorf("bluetooth: %s declares %d parameter bytes, has %d", what, n, have)
}

// Command is an HCI command packet: opcode and parameters.
type Command struct {
	Opcode Opcode
	Params []byte
}

// ParseCommand decodes a command packet without indicator (opcode,
// parameter length, parameters), as the monitor channel carries it.
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 3 {
		return Command{}, fmt.Errorf("%w: command of %d bytes, want at least 3", ErrShort, len(b))
	}
	op := Opcode(binary.LittleEndian.Uint16(b))
	if n, have := int(b[2]), len(b)-3; n != have {
		return Command{}, paramLenError("command "+op.String(), n, have)
	}
	return Command{Opcode: op, Params: b[3:]}, nil
}

// AppendBinary appends the command packet without indicator to b.
func (c Command) AppendBinary(b []byte) ([]byte, error) {
	if len(c.Params) > 255 {
		return b, fmt.Errorf("bluetooth: command %v has %d parameter bytes, at most 255 fit", c.Opcode, len(c.Params))
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(c.Opcode))
	b = append(b, byte(len(c.Params)))
	return append(b, c.Params...), nil
}

// MarshalBinary returns the command as a raw socket writes it: the
// CommandPacket indicator, then the command.
func (c Command) MarshalBinary() ([]byte, error) {
	return c.AppendBinary([]byte{byte(CommandPacket)})
}

// Packet is one packet as a raw HCI socket reads it: the indicator and the
// rest.
type Packet struct {
	Type PacketType
	Data []byte
}

// ParsePacket splits a raw socket read into indicator and payload. Data
// aliases b.
func ParsePacket(b []byte) (Packet, error) {
	if len(b) < 1 {
		return Packet{}, fmt.Errorf("%w: empty packet", ErrShort)
	}
	return Packet{Type: PacketType(b[0]), Data: b[1:]}, nil
}

// Event decodes an EventPacket's payload.
func (p Packet) Event() (Event, error) {
	if p.Type != EventPacket {
		return Event{}, fmt.Errorf("bluetooth: packet type 0x%02x is not an event", uint8(p.Type))
	}
	return ParseEvent(p.Data)
}

// StatusError is a non-zero HCI status (error code, Core specification
// volume 1, part F) returned by a command.
type StatusError struct {
	Opcode Opcode
	Status uint8
}

// Error names the command and the status.
func (e *StatusError) Error() string {
	s := "bluetooth: " + e.Opcode.String() + ": HCI status 0x" + strconv.FormatUint(uint64(e.Status), 16)
	if n, ok := statusNames[e.Status]; ok {
		s += " (" + n + ")"
	}
	return s
}

var statusNames = map[uint8]string{
	0x01: "Unknown HCI Command",
	0x02: "Unknown Connection Identifier",
	0x03: "Hardware Failure",
	0x04: "Page Timeout",
	0x05: "Authentication Failure",
	0x0c: "Command Disallowed",
	0x11: "Unsupported Feature or Parameter Value",
	0x12: "Invalid HCI Command Parameters",
	0x13: "Remote User Terminated Connection",
	0x16: "Connection Terminated By Local Host",
}

// LocalVersion is the Read Local Version Information return.
type LocalVersion struct {
	HCIVersion   uint8
	HCIRevision  uint16
	LMPVersion   uint8
	Manufacturer uint16
	LMPSubver    uint16
}

// parseLocalVersion decodes the return parameters after the status.
func parseLocalVersion(b []byte) (LocalVersion, error) {
	if len(b) < 8 {
		return LocalVersion{}, fmt.Errorf("%w: Read Local Version return of %d bytes, want 8", ErrShort, len(b))
	}
	le := binary.LittleEndian
	return LocalVersion{HCIVersion: b[0], HCIRevision: le.Uint16(b[1:]), LMPVersion: b[3], Manufacturer: le.Uint16(b[4:]), LMPSubver: le.Uint16(b[6:])}, nil
}

// parseBDAddr decodes a little-endian bdaddr_t.
func parseBDAddr(b []byte) (core.BDAddr, error) {
	var a core.BDAddr
	if len(b) < 6 {
		return a, fmt.Errorf("%w: bdaddr of %d bytes", ErrShort, len(b))
	}
	for i := range 6 {
		a[i] = b[5-i]
	}
	return a, nil
}

// putBDAddr writes a as a little-endian bdaddr_t.
func putBDAddr(dst []byte, a core.BDAddr) {
	for i := range 6 {
		dst[i] = a[5-i]
	}
}
