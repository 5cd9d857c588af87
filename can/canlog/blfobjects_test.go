package canlog

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// blfObject builds an object with a version 1 or 2 header (flags 2: ns).
func blfObject(typ uint32, ver uint16, ts uint64, body []byte) []byte {
	hs := blfObjBase + blfObjV1
	if ver == 2 {
		hs = blfObjBase + blfObjV2
	}
	b := []byte("LOBJ")
	b = binary.LittleEndian.AppendUint16(b, uint16(hs))
	b = binary.LittleEndian.AppendUint16(b, ver)
	b = binary.LittleEndian.AppendUint32(b, uint32(hs+len(body)))
	b = binary.LittleEndian.AppendUint32(b, typ)
	b = binary.LittleEndian.AppendUint32(b, 2)
	if ver == 2 {
		b = append(b, 0, 0) // timestamp status, reserved
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint64(b, ts)
		b = binary.LittleEndian.AppendUint64(b, 0) // original timestamp
	} else {
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint64(b, ts)
	}
	b = append(b, body...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// TestBLFOtherObjects: CAN_MESSAGE2 and CAN_FD_MESSAGE_64 objects (as
// CANoe writes them; python-can does not), version 2 object headers,
// objects at the top level and in an uncompressed container, and objects
// of other types (skipped) are read.
func TestBLFOtherObjects(t *testing.T) {
	setLocal(t, "UTC")
	w := &blfWriter{started: true, start: t0.Truncate(time.Millisecond).UnixNano(), stop: t0.UnixNano()}
	file := w.header(nil)
	// CAN_MESSAGE2 on channel 2, Tx, extended, 3 bytes; frame length,
	// bit count and reserved fields follow the data.
	m2 := binary.LittleEndian.AppendUint16(nil, 2)
	m2 = append(m2, blfDirTx, 3)
	m2 = binary.LittleEndian.AppendUint32(m2, 0x1234567|blfExtID)
	m2 = append(m2, 0xA1, 0xA2, 0xA3, 0, 0, 0, 0, 0)
	m2 = append(m2, make([]byte, 8)...)
	// CAN_FD_MESSAGE_64 on channel 1: FD, BRS, 12 bytes, Rx.
	fd := []byte{1, 9, 12, 0}
	fd = binary.LittleEndian.AppendUint32(fd, 0x456)
	fd = binary.LittleEndian.AppendUint32(fd, 0)             // frame length
	fd = binary.LittleEndian.AppendUint32(fd, 0x1000|0x2000) // flags: EDL, BRS
	fd = append(fd, make([]byte, 16)...)                     // bit rates, offsets
	fd = binary.LittleEndian.AppendUint16(fd, 0)             // bit count
	fd = append(fd, 0, 0)                                    // direction Rx, ext data offset
	fd = binary.LittleEndian.AppendUint32(fd, 0)             // crc
	for i := range 12 {
		fd = append(fd, byte(0x10+i))
	}
	// CAN_FD_MESSAGE_64 classic remote frame, Tx.
	rr := []byte{1, 4, 0, 0}
	rr = binary.LittleEndian.AppendUint32(rr, 0x7FF)
	rr = binary.LittleEndian.AppendUint32(rr, 0)
	rr = binary.LittleEndian.AppendUint32(rr, 0x10)
	rr = append(rr, make([]byte, 18)...)
	rr = append(rr, 1, 0)
	rr = binary.LittleEndian.AppendUint32(rr, 0)
	marker := blfObject(96, 1, 0, make([]byte, 40))
	inner := append(append(blfObject(blfCANFDMessage6, 2, 2000, fd), marker...), blfObject(blfCANFDMessage6, 1, 3000, rr)...)
	cont := []byte("LOBJ")
	cont = binary.LittleEndian.AppendUint16(cont, blfObjBase)
	cont = binary.LittleEndian.AppendUint16(cont, 1)
	cont = binary.LittleEndian.AppendUint32(cont, uint32(blfObjBase+blfContainerHead+len(inner)))
	cont = binary.LittleEndian.AppendUint32(cont, blfLogContainer)
	cont = append(cont, 0, 0, 0, 0, 0, 0, 0, 0)
	cont = binary.LittleEndian.AppendUint32(cont, uint32(len(inner)))
	cont = append(cont, 0, 0, 0, 0)
	cont = append(cont, inner...)
	file = append(append(file, blfObject(blfCANMessage2, 1, 1000, m2)...), cont...)
	got, err := readAll(t, BLF, file)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(0, w.start)
	want := []can.LogEntry{
		{Time: start.Add(1000), Iface: "can1", Dir: 'T', Frame: fr(0x1234567, true, 0xA1, 0xA2, 0xA3)},
		{Time: start.Add(2000), Iface: "can0", Frame: fr(0x456, false, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B)},
		{Time: start.Add(3000), Iface: "can0", Dir: 'T', Frame: can.FDFrame{ID: 0x7FF, Remote: true, Len: 4}},
	}
	want[1].Frame.Flags = can.FDF | can.BRS
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if !same(got[i], want[i]) {
			t.Errorf("%d: %v %s %q %v, want %v %s %q %v", i, got[i].Time, got[i].Iface, got[i].Dir, got[i].Frame, want[i].Time, want[i].Iface, want[i].Dir, want[i].Frame)
		}
	}
}
