package bluetooth

import "strconv"

// Opcode is an HCI command opcode: a 6-bit opcode group field (OGF) and a
// 10-bit opcode command field (OCF), little endian on the wire.
type Opcode uint16

// NewOpcode returns the opcode of command ocf in group ogf.
func NewOpcode(ogf uint8, ocf uint16) Opcode {
	return Opcode(uint16(ogf&0x3f)<<10 | ocf&0x3ff)
}

// OGF returns the opcode group field.
func (o Opcode) OGF() uint8 { return uint8(o >> 10) }

// OCF returns the opcode command field.
func (o Opcode) OCF() uint16 { return uint16(o) & 0x3ff }

// String returns the name of a command this package knows, or
// "OGF 0xNN OCF 0xNNNN".
func (o Opcode) String() string {
	if n, ok := opcodeNames[o]; ok {
		return n
	}
	return "OGF 0x" + strconv.FormatUint(uint64(o.OGF()), 16) + " OCF 0x" + strconv.FormatUint(uint64(o.OCF()), 16)
}

// Commands used by this package and by its tests, from the Bluetooth Core
// specification, volume 4, part E, section 7.
const (
	OpDisconnect       Opcode = 0x0406 // Link Control: Disconnect
	OpReset            Opcode = 0x0c03 // Controller & Baseband: Reset
	OpSetEventFilter   Opcode = 0x0c05 // Controller & Baseband: Set Event Filter
	OpWriteLocalName   Opcode = 0x0c13 // Controller & Baseband: Write Local Name
	OpReadLocalName    Opcode = 0x0c14 // Controller & Baseband: Read Local Name
	OpWriteScanEnable  Opcode = 0x0c1a // Controller & Baseband: Write Scan Enable
	OpReadLocalVersion Opcode = 0x1001 // Informational: Read Local Version Information
	OpReadLocalFeature Opcode = 0x1003 // Informational: Read Local Supported Features
	OpReadBufferSize   Opcode = 0x1005 // Informational: Read Buffer Size
	OpReadBDAddr       Opcode = 0x1009 // Informational: Read BD_ADDR
)

var opcodeNames = map[Opcode]string{
	OpDisconnect:       "Disconnect",
	OpReset:            "Reset",
	OpSetEventFilter:   "Set Event Filter",
	OpWriteLocalName:   "Write Local Name",
	OpReadLocalName:    "Read Local Name",
	OpWriteScanEnable:  "Write Scan Enable",
	OpReadLocalVersion: "Read Local Version Information",
	OpReadLocalFeature: "Read Local Supported Features",
	OpReadBufferSize:   "Read Buffer Size",
	OpReadBDAddr:       "Read BD_ADDR",
}
