package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/can"
)

// FuzzCompactFrame: candump's log form of any frame parses back to the
// same frame, and the table form never panics.
func FuzzCompactFrame(f *testing.F) {
	f.Add(uint32(0x123), false, false, uint8(2), uint8(0), true, []byte{0x11, 0x22})
	f.Add(uint32(0x1ABCDEF0), true, false, uint8(12), uint8(3), true, make([]byte, 12))
	f.Add(uint32(0x7FF), false, true, uint8(3), uint8(0), false, []byte{})
	f.Fuzz(func(t *testing.T, id uint32, ext, rtr bool, n, flags uint8, fd bool, data []byte) {
		fr := can.FDFrame{ID: id & can.SFFMask, Extended: ext, Len: n % 65}
		if ext {
			fr.ID = id & can.EFFMask
		}
		if fd {
			fr.Flags = can.FDFlags(flags&3) | can.FDF
			fr.Len = uint8(can.DLCToLen(can.LenToDLC(int(fr.Len))))
		} else {
			fr.Len %= 9
			fr.Remote = rtr
		}
		if !fr.Remote {
			copy(fr.Data[:fr.Len], data)
		}
		text := string(appendCompactFrame(nil, &fr, fd))
		back, err := can.ParseFrame(text)
		if err != nil {
			t.Fatalf("%+v -> %q: %v", fr, text, err)
		}
		if fr.Remote && fr.Len == 0 {
			back.Len = 0
		}
		if back != fr {
			t.Fatalf("%q: %+v, want %+v", text, back, fr)
		}
		for _, v := range []int{0, viewASCII, viewBinary | viewSwap, viewError | viewIndentSFF | viewASCII | viewSwap} {
			appendLongFrame(nil, &fr, fd, v)
		}
		appendErrorText(nil, &fr, "\n\t")
	})
}

// FuzzOpts: any command line is parsed or refused with a usage error.
func FuzzOpts(f *testing.F) {
	f.Add("-ta -cc -n3 --dbc=x vcan0 -- -x")
	f.Add("--batch")
	f.Fuzz(func(t *testing.T, line string) {
		o := dumpOptions{silent: -1}
		if _, err := o.optSet().parse(strings.Fields(line), io.Discard); err != nil {
			var ue *usageError
			if !errorsAs(err, &ue) && err.Error() != "flag: help requested" {
				t.Fatalf("%q: %v is not a usage error", line, err)
			}
		}
	})
}

// FuzzACDRange: jacd range lists parse or fail, never mark 0xFE or above.
func FuzzACDRange(f *testing.F) {
	f.Add("0x80-0xfd")
	f.Add("80,50-100;200-210")
	f.Fuzz(func(t *testing.T, r string) {
		a := &acd{}
		n, err := a.parseRange(r)
		if err != nil {
			return
		}
		c := 0
		for _, e := range a.table {
			if e.use {
				c++
			}
		}
		if c > n || c > acdIdle {
			t.Fatalf("%q: %d marked, %d counted", r, c, n)
		}
	})
}

// FuzzISOTPDumpFrame: any frame between the two IDs is explained without
// a panic.
func FuzzISOTPDumpFrame(f *testing.F) {
	f.Add([]byte{0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x62, 0x01}, true, true)
	f.Add([]byte{0x03, 0x7F, 0x22, 0x31}, false, false)
	f.Fuzz(func(t *testing.T, data []byte, fd, ext bool) {
		d := &isotpDump{src: 0x7E0, dst: 0x7E8, uds: true, asc: true, ext: ext, extAny: true}
		m := can.RecvMsg{Frame: can.FDFrame{ID: 0x7E8, Len: uint8(min(len(data), 8))}, FD: fd}
		if fd {
			m.Frame.Len = uint8(min(len(data), 64))
		}
		copy(m.Frame.Data[:], data)
		if b := d.appendFrame(nil, &m, "vcan0"); len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
			t.Fatalf("%q", b)
		}
	})
}

func errorsAs(err error, target **usageError) bool {
	ue, ok := err.(*usageError)
	if ok {
		*target = ue
	}
	return ok
}

// FuzzISOTPSendInput: isotpsend's input either parses into one byte per
// word, which prints back (isotprecv's form) to the same bytes, or is an
// error; never a panic.
func FuzzISOTPSendInput(f *testing.F) {
	f.Add("11 22 33")
	f.Add("0x1 ff\n\tFF  0X0a")
	f.Add("123 zz")
	f.Fuzz(func(t *testing.T, in string) {
		b, err := readHexBytes(strings.NewReader(in), "stdin")
		if err != nil {
			return
		}
		if len(b) != len(strings.Fields(in)) {
			t.Fatalf("%q: %d bytes from %d words", in, len(b), len(strings.Fields(in)))
		}
		var line []byte
		for _, c := range b {
			line = append(line, hexDigits[c>>4], hexDigits[c&15], ' ')
		}
		back, err := readHexBytes(bytes.NewReader(line), "line")
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("%q -> % X -> %q -> % X, %v", in, b, line, back, err)
		}
	})
}

// FuzzJ1939Spec: j1939cat's FROM/TO parses or fails, never panics; a
// parsed address, PGN and NAME are within their ranges.
func FuzzJ1939Spec(f *testing.F) {
	f.Add("vcan0:0x80")
	f.Add(":0x90,0x12300,0x1122334455667788")
	f.Add("can0:0220,61184")
	f.Add("can0:,,")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := parseJ1939Spec(in)
		if err != nil {
			return
		}
		if s.addr.PGN > can.J1939NoPGN {
			t.Fatalf("%q: PGN %#x", in, s.addr.PGN)
		}
	})
}
