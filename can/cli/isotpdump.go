package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/fieldgate/fieldgate/can"
)

// isotpDump is isotpdump: the ISO-TP frames between two CAN IDs, one line
// each with its protocol control information explained.
type isotpDump struct {
	src, dst        uint32
	srcSet, dstSet  bool
	ext, rxExt      bool
	extAny, rxAny   bool
	extAddr, rxExt8 uint8
	color, asc, uds bool
	stamp           timestampFormat
	isFF            bool // isotpdump's is_ff: a SF or FF was seen, UDS not yet printed
}

var fcInfo = [...]string{"CTS", "WT", "OVFLW", "reserved"}

func isotpDumpMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	d := &isotpDump{}
	set := &optSet{name: "isotp dump", synopsis: `usage: fieldgate can isotp dump -s ID -d ID [options] IFACE
isotpdump: print and explain the ISO-TP frames between the CAN IDs -s and -d
(hex, 8 digits for 29-bit IDs). UDS flags (-u): [SRQ] service request,
[PSR] positive response, [NRC] negative response code, [???] unknown.`}
	set.fn('s', "", "ID", "source CAN ID", func(v string) (err error) { d.src, err = parseISOTPToolID(v); d.srcSet = true; return })
	set.fn('d', "", "ID", "destination CAN ID", func(v string) (err error) { d.dst, err = parseISOTPToolID(v); d.dstSet = true; return })
	set.fn('x', "", "ADDR", "extended addressing with ADDR (hex), any for all addresses", func(v string) (err error) {
		d.ext = true
		if v == "any" {
			d.extAny = true
			return nil
		}
		d.extAddr, err = parseHexAddr(v)
		return err
	})
	set.fn('X', "", "ADDR", "extended addressing, receive address (hex), any for all", func(v string) (err error) {
		d.rxExt = true
		if v == "any" {
			d.rxAny = true
			return nil
		}
		d.rxExt8, err = parseHexAddr(v)
		return err
	})
	set.fn('c', "", "", "color mode", func(string) error { d.color = true; return nil })
	set.fn('a', "", "", "print the data also as ASCII", func(string) error { d.asc = true; return nil })
	set.fn('t', "", "TYPE", "timestamp: (a)bsolute, (d)elta, (z)ero, (A)bsolute with date", func(v string) error { return parseTimestampMode(v, &d.stamp.mode) })
	set.fn('u', "", "", "explain UDS messages", func(string) error { d.uds = true; return nil })
	operands, err := set.parse(args, stderr)
	if err != nil {
		return err
	}
	if len(operands) != 1 || !d.srcSet || !d.dstSet {
		return set.errorf("want -s ID, -d ID and one IFACE")
	}
	if d.rxExt && !d.ext {
		return set.errorf("-X needs -x")
	}
	iface := operands[0]
	filter := func(id uint32) can.Filter {
		if id&can.EFFFlag != 0 {
			return can.Filter{ID: id & (can.EFFMask | can.EFFFlag), Mask: can.EFFMask | can.EFFFlag | can.RTRFlag}
		}
		return can.Filter{ID: id & can.SFFMask, Mask: can.SFFMask | can.EFFFlag | can.RTRFlag}
	}
	c, err := can.ListenRaw(iface, &can.RawConfig{FD: true, Timestamps: d.stamp.mode != 0,
		Filters: []can.Filter{filter(d.src), filter(d.dst)}})
	if err != nil {
		return fmt.Errorf("isotp dump: %w", err)
	}
	defer c.Close()
	w := bufio.NewWriter(stdout)
	msgs := make([]can.RecvMsg, can.MaxBatch)
	var line []byte
	for {
		n, err := c.ReadBatch(ctx, msgs)
		if err != nil {
			if ctx.Err() != nil {
				return w.Flush()
			}
			return fmt.Errorf("isotp dump: read: %w", err)
		}
		for i := range msgs[:n] {
			line = d.appendFrame(line[:0], &msgs[i], iface)
			w.Write(line)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
}

// appendFrame appends isotpdump's line for m, or nothing when isotpdump
// skips the frame (another extended address).
func (d *isotpDump) appendFrame(b []byte, m *can.RecvMsg, iface string) []byte {
	f := &m.Frame
	id := f.CANID()
	if id == d.src && d.ext && !d.extAny && d.extAddr != f.Data[0] {
		return b
	}
	if id == d.dst && d.rxExt && !d.rxAny && d.rxExt8 != f.Data[0] {
		return b
	}
	if d.color {
		if id == d.src {
			b = append(b, fgRed...)
		} else {
			b = append(b, fgBlue...)
		}
	}
	if d.stamp.mode != 0 {
		b = d.stamp.appendTime(b, m.Time)
	}
	b = append(b, ' ')
	b = append(b, iface...)
	b = append(b, "  "...)
	if f.Extended {
		b = appendHexSpaced(b, f.ID&can.EFFMask, 8)
	} else {
		b = appendHexSpaced(b, f.ID&can.SFFMask, 3)
	}
	ext := 0
	if d.ext {
		ext = 1
		b = append(b, '{')
		b = appendHexByte(b, f.Data[0])
		b = append(b, '}')
	}
	flen := int(f.Len)
	if !m.FD {
		b = append(b, "  ["...)
		b = strconv.AppendInt(b, int64(flen), 10)
		b = append(b, "]  "...)
	} else {
		b = append(b, " ["...)
		b = appendZeroPad(b, int64(flen), 2)
		b = append(b, "]  "...)
	}
	data := &f.Data
	datidx := 0
	pci := data[ext]
	switch pci & 0xF0 {
	case 0x00:
		d.isFF = true
		if pci&0xF != 0 {
			b = appendLeft(b, strconv.Itoa(int(pci&0xF)), "[SF] ln: ", 4, " data:")
			datidx = ext + 1
		} else {
			b = appendLeft(b, strconv.Itoa(int(data[ext+1])), "[SF] ln: ", 4, " data:")
			datidx = ext + 2
		}
	case 0x10:
		d.isFF = true
		fflen := uint64(pci&0x0F)<<8 + uint64(data[ext+1])
		if fflen != 0 {
			datidx = ext + 2
		} else {
			fflen = uint64(data[ext+2])<<24 + uint64(data[ext+3])<<16 + uint64(data[ext+4])<<8 + uint64(data[ext+5])
			datidx = ext + 6
		}
		b = appendLeft(b, strconv.FormatUint(fflen, 10), "[FF] ln: ", 4, " data:")
	case 0x20:
		b = append(b, "[CF] sn: "...)
		b = append(b, hexUpper[pci&0x0F])
		b = append(b, "    data:"...)
		datidx = ext + 1
	case 0x30:
		fc := int(pci & 0x0F)
		b = append(b, "[FC] FC: "...)
		b = strconv.AppendInt(b, int64(fc), 10)
		b = append(b, ' ')
		b = append(b, "= "...)
		b = append(b, fcInfo[min(fc, 3)]...)
		b = append(b, " # "...)
		b = append(b, "BS: "...)
		b = strconv.AppendInt(b, int64(data[ext+1]), 10)
		b = append(b, ' ')
		if data[ext+1] == 0 {
			b = append(b, "= off "...)
		}
		b = append(b, "# "...)
		st := data[ext+2]
		b = append(b, "STmin: 0x"...)
		b = appendHexByte(b, st)
		b = append(b, " = "...)
		switch {
		case st < 0x80:
			b = strconv.AppendInt(b, int64(st), 10)
			b = append(b, " ms"...)
		case st > 0xF0 && st < 0xFA:
			b = strconv.AppendInt(b, int64(st&0x0F)*100, 10)
			b = append(b, " us"...)
		default:
			b = append(b, "reserved"...)
		}
	default:
		b = append(b, "[??]"...)
	}
	if datidx != 0 && flen > datidx {
		b = append(b, ' ')
		for i := datidx; i < flen; i++ {
			b = appendHexByte(b, data[i])
			b = append(b, ' ')
		}
		if d.asc {
			b = appendPrintf(b, "-  '", ((7-ext)-(flen-datidx))*3+5)
			for i := datidx; i < flen; i++ {
				if c := data[i]; c > 0x1F && c < 0x7F {
					b = append(b, c)
				} else {
					b = append(b, '.')
				}
			}
			b = append(b, '\'')
		}
		if d.uds && d.isFF {
			off := 3
			if d.asc {
				off = 1
			}
			b = appendPrintf(b, " - ", ((7-ext)-(flen-datidx))*off+3)
			nrc := byte(0)
			if datidx+2 < len(data) {
				nrc = data[datidx+2]
			}
			b = appendUDS(b, data[datidx], nrc)
			d.isFF = false
		}
	}
	if d.color {
		b = append(b, attrOff...)
	}
	return append(b, '\n')
}

// appendHexSpaced is printf's "%*X": upper-case hex right-aligned in width.
func appendHexSpaced(b []byte, v uint32, width int) []byte {
	var tmp [8]byte
	h := appendMinHex(tmp[:0], v, 1)
	return appendRightAligned(b, string(h), width)
}

// appendLeft appends prefix, s left-justified in width, and suffix
// (printf "prefix%-4dsuffix").
func appendLeft(b []byte, s, prefix string, width int, suffix string) []byte {
	b = append(b, prefix...)
	b = appendPrintf(b, s, -width)
	return append(b, suffix...)
}

var udsServices = map[int]string{
	0x10: "DiagnosticSessionControl", 0x11: "ECUReset", 0x14: "ClearDiagnosticInformation",
	0x19: "ReadDTCInformation", 0x22: "ReadDataByIdentifier", 0x23: "ReadMemoryByAddress",
	0x24: "ReadScalingDataByIdentifier", 0x27: "SecurityAccess", 0x28: "CommunicationControl",
	0x2A: "ReadDataByPeriodicIdentifier", 0x2C: "DynamicallyDefineDataIdentifier",
	0x2E: "WriteDataByIdentifier", 0x2F: "InputOutputControlByIdentifier", 0x31: "RoutineControl",
	0x34: "RequestDownload", 0x35: "RequestUpload", 0x36: "TransferData", 0x37: "RequestTransferExit",
	0x38: "RequestFileTransfer", 0x3D: "WriteMemoryByAddress", 0x3E: "TesterPresent",
	0x83: "AccessTimingParameter", 0x84: "SecuredDataTransmision", 0x85: "ControlDTCSetting",
	0x86: "ResponseOnEvent", 0x87: "LinkControl",
}

var udsNRCs = map[int]string{
	0x00: "positiveResponse", 0x10: "generalReject", 0x11: "serviceNotSupported",
	0x12: "sub-functionNotSupported", 0x13: "incorrectMessageLengthOrInvalidFormat",
	0x14: "responseTooLong", 0x21: "busyRepeatRequest", 0x22: "conditionsNotCorrect",
	0x24: "requestSequenceError", 0x25: "noResponseFromSubnetComponent",
	0x26: "FailurePreventsExecutionOfRequestedAction", 0x31: "requestOutOfRange",
	0x33: "securityAccessDenied", 0x35: "invalidKey", 0x36: "exceedNumberOfAttempts",
	0x37: "requiredTimeDelayNotExpired", 0x70: "uploadDownloadNotAccepted",
	0x71: "transferDataSuspended", 0x72: "generalProgrammingFailure",
	0x73: "wrongBlockSequenceCounter", 0x78: "requestCorrectlyReceived-ResponsePending",
	0x7E: "sub-functionNotSupportedInActiveSession", 0x7F: "serviceNotSupportedInActiveSession",
	0x81: "rpmTooHigh", 0x82: "rpmTooLow", 0x83: "engineIsRunning", 0x84: "engineIsNotRunning",
	0x85: "engineRunTimeTooLow", 0x86: "temperatureTooHigh", 0x87: "temperatureTooLow",
	0x88: "vehicleSpeedTooHigh", 0x89: "vehicleSpeedTooLow", 0x8A: "throttle/PedalTooHigh",
	0x8B: "throttle/PedalTooLow", 0x8C: "transmissionRangeNotInNeutral",
	0x8D: "transmissionRangeNotInGear",
	0x8F: "brakeSwitch(es)NotClosed (Brake Pedal not pressed or not applied)",
	0x90: "shifterLeverNotInPark", 0x91: "torqueConverterClutchLocked", 0x92: "voltageTooHigh",
	0x93: "voltageTooLow",
}

// appendUDS is isotpdump's print_uds_message: "[FLAG] name".
func appendUDS(b []byte, service, nrc byte) []byte {
	svc := int(service)
	flag := "[???]"
	switch {
	case svc >= 0x50 && svc <= 0x7E || svc >= 0xC3 && svc <= 0xC8:
		flag = "[PSR]"
		svc -= 0x40
	case svc >= 0x10 && svc <= 0x3E || svc >= 0x83 && svc <= 0x88 || svc >= 0xBA && svc <= 0xBE:
		flag = "[SRQ]"
	}
	name, ok := udsServices[svc]
	if svc == 0x7F {
		flag = "[NRC]"
		n := int(nrc)
		name, ok = udsNRCs[n]
		if !ok {
			switch {
			case n > 0x37 && n < 0x50:
				name = "reservedByExtendedDataLinkSecurityDocument"
			case n > 0x93 && n < 0xF0:
				name = "reservedForSpecificConditionsNotCorrect"
			case n > 0xEF && n < 0xFE:
				name = "vehicleManufacturerSpecificConditionsNotCorrect"
			default:
				name = "ISOSAEReserved"
			}
		}
		ok = true
	}
	if !ok {
		name = "Unknown"
	}
	b = append(b, flag...)
	b = append(b, ' ')
	return append(b, name...)
}
