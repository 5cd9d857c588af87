package busmsg

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// The json encoding: one object per frame, keys in this order, optional
// ones only when they apply:
//
//	{"time":1733590000123456789,"seq":42,"kind":"can","id":"123","ext":true,
//	 "rtr":true,"err":true,"brs":true,"esi":true,"src":128,"dst":255,
//	 "len":3,"data":"A1B2C3"}
//
// time is the capture time in ns since the Unix epoch and seq the frame's
// sequence number (both optional on input); kind is can, canfd, isotp,
// j1939 or eth; id is hex (as in the subject: the CAN ID without flags,
// an error frame's 8 digits as candump writes them (2xxxxxxx), the PGN, the EtherType); ext, rtr and err are
// the CAN ID flags, brs and esi the CAN FD flags, src and dst the J1939
// source and destination addresses; len may be left out on input when data
// says it; data is hex (uppercase on output, either case on input).

// AppendJSON appends the json object of frame f with sequence number seq.
func AppendJSON(b []byte, f *frame.Frame, seq uint64) []byte {
	b = append(b, `{"time":`...)
	b = strconv.AppendInt(b, f.Time, 10)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"kind":"`...)
	b = append(b, KindToken(f.Type)...)
	b = append(b, `","id":"`...)
	b = AppendID(b, f)
	b = append(b, '"')
	switch f.Type {
	case frame.CAN, frame.CANFD, frame.ISOTP:
		if f.ID&frame.CANEFFFlag != 0 {
			b = append(b, `,"ext":true`...)
		}
		if f.ID&frame.CANRTRFlag != 0 {
			b = append(b, `,"rtr":true`...)
		}
		if f.ID&frame.CANERRFlag != 0 {
			b = append(b, `,"err":true`...)
		}
		if f.Type == frame.CANFD {
			if f.Flags&frame.CANFDBRS != 0 {
				b = append(b, `,"brs":true`...)
			}
			if f.Flags&frame.CANFDESI != 0 {
				b = append(b, `,"esi":true`...)
			}
		}
	case frame.J1939:
		b = append(b, `,"src":`...)
		b = strconv.AppendUint(b, uint64(f.Addr), 10)
		b = append(b, `,"dst":`...)
		b = strconv.AppendUint(b, uint64(f.Flags), 10)
	}
	b = append(b, `,"len":`...)
	b = strconv.AppendUint(b, uint64(f.Len), 10)
	b = append(b, `,"data":"`...)
	for _, c := range f.Data[:f.Len] {
		b = append(b, hexUpper[c>>4], hexUpper[c&0xF])
	}
	return append(b, `"}`...)
}

// JSONInfo is what ParseJSON read besides the frame: whether the object
// had time and seq, and their values.
type JSONInfo struct {
	Seq     uint64
	HasSeq  bool
	HasTime bool
}

// ParseJSON reads one json object into f (Source, Route zero; Time 0 when
// the object has no time). The object must be flat, with the keys above
// once each, strings without escapes, integers without fraction or
// exponent; anything else, and a frame its kind cannot carry, is refused.
func ParseJSON(b []byte, f *frame.Frame) (JSONInfo, error) {
	var info JSONInfo
	p := jsonParser{b: b}
	var seen uint16
	var (
		kind                     frame.Type
		idHex, data              []byte
		hasID, hasLen, hasData   bool
		ext, rtr, errf, brs, esi bool
		src, dst                 uint64
		hasSrc, hasDst           bool
		length                   uint64
		tm                       int64
	)
	p.ws()
	if !p.eat('{') {
		return info, p.fail("expected '{'")
	}
	p.ws()
	if !p.eat('}') {
		for {
			p.ws()
			key, ok := p.str()
			if !ok {
				return info, p.fail("expected a key")
			}
			k := jsonKey(key)
			if k < 0 {
				return info, fmt.Errorf("json: unknown key %q", key)
			}
			if seen&(1<<k) != 0 {
				return info, fmt.Errorf("json: key %q twice", key)
			}
			seen |= 1 << k
			p.ws()
			if !p.eat(':') {
				return info, p.fail("expected ':'")
			}
			p.ws()
			switch k {
			case kTime:
				v, ok := p.uint(1<<63 - 1)
				if !ok {
					return info, p.fail("time: expected an integer ≥ 0 (ns since the Unix epoch)")
				}
				tm, info.HasTime = int64(v), true
			case kSeq:
				v, ok := p.uint(1<<64 - 1)
				if !ok {
					return info, p.fail("seq: expected an integer ≥ 0")
				}
				info.Seq, info.HasSeq = v, true
			case kKind:
				s, ok := p.str()
				if !ok {
					return info, p.fail("kind: expected a string")
				}
				t, ok := ParseKind(string(s)) // no allocation: the conversion is only compared
				if !ok {
					return info, fmt.Errorf("json: unknown kind %q (can, canfd, isotp, j1939, eth)", s)
				}
				kind = t
			case kID:
				if idHex, ok = p.str(); !ok {
					return info, p.fail("id: expected a hex string")
				}
				hasID = true
			case kExt, kRTR, kErr, kBRS, kESI:
				v, ok := p.boolean()
				if !ok {
					return info, p.fail("expected true or false")
				}
				switch k {
				case kExt:
					ext = v
				case kRTR:
					rtr = v
				case kErr:
					errf = v
				case kBRS:
					brs = v
				case kESI:
					esi = v
				}
			case kSrc, kDst:
				v, ok := p.uint(255)
				if !ok {
					return info, p.fail("src/dst: expected an integer 0–255")
				}
				if k == kSrc {
					src, hasSrc = v, true
				} else {
					dst, hasDst = v, true
				}
			case kLen:
				if length, ok = p.uint(frame.MaxData); !ok {
					return info, p.fail(fmt.Sprintf("len: expected an integer 0–%d", frame.MaxData))
				}
				hasLen = true
			case kData:
				if data, ok = p.str(); !ok {
					return info, p.fail("data: expected a hex string")
				}
				hasData = true
			}
			p.ws()
			if p.eat('}') {
				break
			}
			if !p.eat(',') {
				return info, p.fail("expected ',' or '}'")
			}
		}
	}
	p.ws()
	if p.i != len(p.b) {
		return info, p.fail("bytes after the object")
	}
	if kind == 0 {
		return info, errors.New("json: no kind")
	}
	// Data.
	if hasData {
		if len(data)%2 != 0 || len(data)/2 > frame.MaxData {
			return info, fmt.Errorf("json: data: %d hex digits (an even number, at most %d bytes)", len(data), frame.MaxData)
		}
		for i := 0; i < len(data); i += 2 {
			hi, ok1 := unhex(data[i])
			lo, ok2 := unhex(data[i+1])
			if !ok1 || !ok2 {
				return info, fmt.Errorf("json: data: %q is not hex", data[i:i+2])
			}
			f.Data[i/2] = hi<<4 | lo
		}
	}
	n := uint64(len(data) / 2)
	switch {
	case !hasLen:
		length = n
	case n == length:
	case n == 0 && rtr:
		clear(f.Data[:length]) // a remote request: len is the DLC asked for
	case hasData:
		return info, fmt.Errorf("json: len %d but data has %d bytes", length, n)
	default:
		return info, fmt.Errorf("json: len %d without data", length)
	}
	// ID and flags.
	var id uint64
	if hasID {
		if len(idHex) == 0 || len(idHex) > 8 {
			return info, fmt.Errorf("json: id %q: 1 to 8 hex digits", idHex)
		}
		for _, c := range idHex {
			d, ok := unhex(c)
			if !ok {
				return info, fmt.Errorf("json: id %q is not hex", idHex)
			}
			id = id<<4 | uint64(d)
		}
	}
	isCAN := kind == frame.CAN || kind == frame.CANFD || kind == frame.ISOTP
	if !isCAN && (ext || rtr || errf) {
		return info, fmt.Errorf("json: ext, rtr and err apply to can, canfd and isotp, not %s", KindToken(kind))
	}
	if kind != frame.CANFD && (brs || esi) {
		return info, fmt.Errorf("json: brs and esi apply to canfd, not %s", KindToken(kind))
	}
	if kind != frame.J1939 && (hasSrc || hasDst) {
		return info, fmt.Errorf("json: src and dst apply to j1939, not %s", KindToken(kind))
	}
	f.Flags, f.Addr = 0, 0
	switch {
	case isCAN:
		if !hasID {
			return info, errors.New("json: no id")
		}
		switch {
		case errf:
			id &^= frame.CANERRFlag // written as candump writes it, 2xxxxxxx
			if id > frame.CANEFFMask {
				return info, fmt.Errorf("json: error class %#x above 0x1FFFFFFF", id)
			}
			id |= frame.CANERRFlag
		case ext:
			if id > frame.CANEFFMask {
				return info, fmt.Errorf("json: 29-bit id %#x above 0x1FFFFFFF", id)
			}
		case id > frame.CANSFFMask:
			return info, fmt.Errorf("json: 11-bit id %#x above 0x7FF (set \"ext\":true for a 29-bit id)", id)
		}
		if ext {
			id |= frame.CANEFFFlag
		}
		if rtr {
			id |= frame.CANRTRFlag
		}
		if brs {
			f.Flags |= frame.CANFDBRS
		}
		if esi {
			f.Flags |= frame.CANFDESI
		}
	case kind == frame.J1939:
		if !hasID {
			return info, errors.New("json: no id (the PGN)")
		}
		f.Addr, f.Flags = uint8(src), uint8(dst)
	case kind == frame.Ethernet:
		if hasID && length >= 14 && id != uint64(f.Data[12])<<8|uint64(f.Data[13]) {
			return info, fmt.Errorf("json: id %s is not the frame's EtherType %02X%02X", idHex, f.Data[12], f.Data[13])
		}
		id = 0
	}
	if err := checkFrame(kind, f.Flags, f.Addr, uint32(id), int(length)); err != nil {
		return info, fmt.Errorf("json: %w", err)
	}
	f.Type, f.ID, f.Len, f.Time, f.Source, f.Route = kind, uint32(id), uint16(length), tm, 0, 0
	return info, nil
}

const (
	kTime = iota
	kSeq
	kKind
	kID
	kExt
	kRTR
	kErr
	kBRS
	kESI
	kSrc
	kDst
	kLen
	kData
)

var jsonKeys = [...]string{kTime: "time", kSeq: "seq", kKind: "kind", kID: "id", kExt: "ext", kRTR: "rtr", kErr: "err",
	kBRS: "brs", kESI: "esi", kSrc: "src", kDst: "dst", kLen: "len", kData: "data"}

func jsonKey(k []byte) int {
	for i, s := range jsonKeys {
		if string(k) == s {
			return i
		}
	}
	return -1
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// jsonParser scans the flat objects of the json encoding.
type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) fail(what string) error {
	return fmt.Errorf("json: offset %d: %s", p.i, what)
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters.
func (p *jsonParser) str() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

func (p *jsonParser) boolean() (bool, bool) {
	rest := p.b[p.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		p.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		p.i += 5
		return false, true
	}
	return false, false
}

// uint reads a non-negative integer up to max: digits only, no leading
// zeros (JSON's rule), no fraction or exponent.
func (p *jsonParser) uint(max uint64) (uint64, bool) {
	start := p.i
	var v uint64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		d := uint64(p.b[p.i] - '0')
		if d > max || v > (max-d)/10 {
			return 0, false
		}
		v = v*10 + d
		p.i++
	}
	n := p.i - start
	if n == 0 || (n > 1 && p.b[start] == '0') {
		return 0, false
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return 0, false
	}
	return v, true
}
