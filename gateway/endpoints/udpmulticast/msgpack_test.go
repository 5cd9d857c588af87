package udpmulticast

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// pyMsg is a can.Message as testdata/peer.py prints and reads it.
type pyMsg struct {
	T    string `json:"t"`
	ID   uint32 `json:"id"`
	Ext  bool   `json:"ext"`
	RTR  bool   `json:"rtr"`
	Err  bool   `json:"err"`
	FD   bool   `json:"fd"`
	BRS  bool   `json:"brs"`
	ESI  bool   `json:"esi"`
	DLC  int    `json:"dlc"`
	Data string `json:"data"`
}

// sampleFrames: classic standard, extended, empty, remote, FD with and
// without BRS/ESI, an error frame, times with microseconds.
func sampleFrames() []frame.Frame {
	fs := []frame.Frame{
		{Type: frame.CAN, ID: 0x123, Len: 4, Data: [frame.MaxData]byte{0xDE, 0xAD, 0xBE, 0xEF}},
		{Type: frame.CAN, ID: 0x1ABCDEF0 | frame.CANEFFFlag, Len: 8, Data: [frame.MaxData]byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{Type: frame.CAN, ID: 0x7FF, Len: 0},
		{Type: frame.CAN, ID: 0x321 | frame.CANRTRFlag, Len: 4},
		{Type: frame.CANFD, ID: 0x456, Len: 12, Flags: frame.CANFDBRS},
		{Type: frame.CANFD, ID: 0x1FFFFFFF | frame.CANEFFFlag, Len: 64, Flags: frame.CANFDBRS | frame.CANFDESI},
		{Type: frame.CANFD, ID: 0x001, Len: 16, Flags: frame.CANFDESI},
		{Type: frame.CAN, ID: 0x084 | frame.CANERRFlag, Len: 8, Data: [frame.MaxData]byte{0, 4, 0, 8}},
		{Type: frame.CAN, ID: 0x200, Len: 1, Data: [frame.MaxData]byte{0xFF}},
	}
	for i := range fs {
		if fs[i].Type == frame.CANFD {
			for j := range int(fs[i].Len) {
				fs[i].Data[j] = byte(j * 5)
			}
		}
		fs[i].Time = 1714564800_123456000 + int64(i)*1_234_000
	}
	return fs
}

func toPy(f *frame.Frame) pyMsg {
	var m Message
	m.FromFrame(f)
	return pyMsg{T: strconv.FormatFloat(m.Timestamp, 'f', 6, 64), ID: m.ID, Ext: m.Extended, RTR: m.Remote, Err: m.Error,
		FD: m.FD, BRS: m.BRS, ESI: m.ESI, DLC: m.DLC, Data: hex.EncodeToString(m.Data[:map[bool]int{true: 0, false: m.DLC}[m.Remote]])}
}

// TestEncodingIsPythonCans: AppendMessage writes byte for byte what
// python-can's pack_message writes for the same can.Message, and
// DecodeMessage reads it back to the same frame.
func TestEncodingIsPythonCans(t *testing.T) {
	var in bytes.Buffer
	fs := sampleFrames()
	for i := range fs {
		b, _ := json.Marshal(toPy(&fs[i]))
		in.Write(append(b, '\n'))
	}
	cmd := exec.Command("/usr/bin/python3", "testdata/peer.py", "pack")
	cmd.Stdin = &in
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("peer.py pack: %v\n%s", err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(fs) {
		t.Fatalf("%d packed messages, want %d:\n%s", len(lines), len(fs), out)
	}
	for i := range fs {
		var m Message
		m.FromFrame(&fs[i])
		// The time as python-can holds it: the float of the decimal.
		m.Timestamp, _ = strconv.ParseFloat(toPy(&fs[i]).T, 64)
		got := hex.EncodeToString(AppendMessage(nil, &m))
		if got != lines[i] {
			t.Errorf("frame %d:\n ours   %s\n python %s", i, got, lines[i])
		}
		py, _ := hex.DecodeString(lines[i])
		var d Message
		if err := DecodeMessage(py, &d); err != nil {
			t.Fatalf("frame %d: decoding python-can's message: %v", i, err)
		}
		var f frame.Frame
		d.ToFrame(&f)
		w := fs[i]
		if f.ID != w.ID || f.Type != w.Type || f.Flags != w.Flags || f.Len != w.Len || !bytes.Equal(f.Payload(), map[bool][]byte{true: nil, false: w.Payload()}[w.ID&frame.CANRTRFlag != 0]) && w.ID&frame.CANRTRFlag == 0 {
			t.Errorf("frame %d: decoded %v, want %v", i, &f, &w)
		}
	}
}

// TestDecodeChecks: what python-can's can.Message(check=True) refuses is
// malformed here too.
func TestDecodeChecks(t *testing.T) {
	enc := func(mod func(*Message)) []byte {
		m := Message{Timestamp: 1, ID: 0x123, DLC: 2, Data: [64]byte{1, 2}}
		mod(&m)
		return AppendMessage(nil, &m)
	}
	for name, b := range map[string][]byte{
		"empty":          {},
		"not a map":      {0x93, 1, 2, 3},
		"truncated":      enc(func(*Message) {})[:20],
		"trailing":       append(enc(func(*Message) {}), 0),
		"std id > 11":    enc(func(m *Message) { m.ID = 0x800 }),
		"classic dlc 9":  enc(func(m *Message) { m.DLC = 9 }),
		"remote FD":      enc(func(m *Message) { m.Remote, m.FD = true, true }),
		"BRS classic":    enc(func(m *Message) { m.BRS = true }),
		"negative time":  enc(func(m *Message) { m.Timestamp = -1 }),
		"unknown key":    append([]byte{0x81, 0xa3, 'f', 'o', 'o'}, 0xc0),
		"dlc mismatch":   bytes.Replace(enc(func(*Message) {}), []byte{0xa3, 'd', 'l', 'c', 2}, []byte{0xa3, 'd', 'l', 'c', 3}, 1),
		"remote and err": enc(func(m *Message) { m.Remote, m.Error = true, true }),
	} {
		var m Message
		if err := DecodeMessage(b, &m); !errors.Is(err, errMalformed) {
			t.Errorf("%s: %v, want malformed", name, err)
		}
	}
}

// TestCodecAllocs: encoding and decoding allocate nothing.
func TestCodecAllocs(t *testing.T) {
	fs := sampleFrames()
	buf := make([]byte, 0, maxMessage)
	var m, d Message
	if a := testing.AllocsPerRun(100, func() {
		for i := range fs {
			m.FromFrame(&fs[i])
			buf = AppendMessage(buf[:0], &m)
			if err := DecodeMessage(buf, &d); err != nil {
				panic(err)
			}
		}
	}); a != 0 {
		t.Errorf("%.1f allocations", a)
	}
}

// FuzzDecodeMessage: any datagram decodes or is malformed, never panics;
// what decodes encodes back to a message that decodes the same.
func FuzzDecodeMessage(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if err := DecodeMessage(b, &m); err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("%v is not malformed", err)
			}
			return
		}
		var fr frame.Frame
		m.ToFrame(&fr)
		fr.Time = 0
		var m2, m3 Message
		m2.FromFrame(&fr)
		m2.Timestamp = m.Timestamp
		if err := DecodeMessage(AppendMessage(nil, &m2), &m3); err != nil {
			t.Fatalf("re-encoded %+v: %v", m2, err)
		}
		if m3 != m2 {
			t.Fatalf("round trip: %+v, want %+v", m3, m2)
		}
	})
}
