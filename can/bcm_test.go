package can

import (
	"bytes"
	"testing"
	"time"
)

// TestBCMTxSendBytes is CPython's BCM known answer: TX_SEND, can_id 0x222,
// one frame 0x123 c0ffee; the head is 56 bytes on 64-bit.
func TestBCMTxSendBytes(t *testing.T) {
	m := BCMMsg{Opcode: TxSend, ID: 0x222, Frames: []FDFrame{{ID: 0x123, Len: 3, Data: [64]byte{0xc0, 0xff, 0xee}}}}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := append(le32(4), le32(0)...)        // opcode, flags
	want = append(want, le32(0)...)            // count
	want = append(want, make([]byte, 4+32)...) // pad, ival1, ival2
	want = append(want, le32(0x222)...)
	want = append(want, le32(1)...)
	want = append(want, le32(0x123)...)
	want = append(want, 3, 0, 0, 0, 0xc0, 0xff, 0xee, 0, 0, 0, 0, 0)
	if !bytes.Equal(b, want) {
		t.Fatalf("got  % x\nwant % x", b, want)
	}
	var back BCMMsg
	if err := back.UnmarshalBinary(b); err != nil || back.Opcode != TxSend || back.ID != 0x222 || len(back.Frames) != 1 || back.Frames[0] != m.Frames[0] {
		t.Fatalf("%v %+v", err, back)
	}
}

func TestBCMTimersAndFD(t *testing.T) {
	m := BCMMsg{Opcode: TxSetup, Flags: BCMSetTimer | BCMStartTimer | BCMCANFDFrame, Count: 5,
		Ival1: 1500 * time.Millisecond, Ival2: 250 * time.Microsecond, ID: 0x1234 | EFFFlag,
		Frames: []FDFrame{{ID: 0x1234, Extended: true, Len: 12, Flags: BRS}, {ID: 0x1234, Extended: true, Len: 64, Flags: FDF}}}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != BCMHeadSize+2*FDMTU {
		t.Fatalf("len %d", len(b))
	}
	if !bytes.Equal(b[16:48], append(append(append(le64(1), le64(500000)...), le64(0)...), le64(250)...)) {
		t.Fatalf("timevals % x", b[16:48])
	}
	var back BCMMsg
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if back.Ival1 != m.Ival1 || back.Ival2 != m.Ival2 || back.Count != 5 || back.Frames[0].Flags != BRS|FDF || back.Frames[1].Len != 64 {
		t.Fatalf("%+v", back)
	}
	// Errors: FD frame without the flag, too many frames, size mismatch.
	bad := BCMMsg{Opcode: TxSend, Frames: []FDFrame{{Len: 12, Flags: FDF}}}
	if _, err := bad.MarshalBinary(); err == nil {
		t.Fatal("FD frame without BCMCANFDFrame accepted")
	}
	if _, err := (&BCMMsg{Frames: make([]FDFrame, 257)}).MarshalBinary(); err == nil {
		t.Fatal("257 frames accepted")
	}
	if err := back.UnmarshalBinary(b[:len(b)-1]); err == nil {
		t.Fatal("short message accepted")
	}
	if RxChanged.String() != "RX_CHANGED" || BCMOpcode(99).String() != "BCM_OPCODE_99" {
		t.Fatal("opcode names")
	}
}

func le64(v uint64) []byte {
	b := make([]byte, 8)
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
	return b
}

func FuzzBCMUnmarshal(f *testing.F) {
	m := BCMMsg{Opcode: TxSend, ID: 0x222, Frames: []FDFrame{{ID: 0x123, Len: 3}}}
	b, _ := m.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var m BCMMsg
		if err := m.UnmarshalBinary(b); err != nil {
			return
		}
		if m.Ival1 < 0 || m.Ival2 < 0 {
			return
		}
		if _, err := m.MarshalBinary(); err != nil {
			return
		}
	})
}
