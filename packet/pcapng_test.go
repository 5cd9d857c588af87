package packet

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// canFrame builds a host-order SocketCAN can_frame.
func canFrame(id uint32, data ...byte) []byte {
	f := make([]byte, canFrameLen)
	binary.NativeEndian.PutUint32(f, id)
	f[4] = byte(len(data))
	copy(f[8:], data)
	return f
}

func canFDFrame(id uint32, flags byte, data []byte) []byte {
	f := make([]byte, canFDFrameLen)
	binary.NativeEndian.PutUint32(f, id)
	f[4] = byte(len(data))
	f[5] = flags
	copy(f[8:], data)
	return f
}

type mixedPkt struct {
	iface int
	ts    time.Time
	data  []byte // as written to the file
}

// writeMixed writes an Ethernet and a SocketCAN interface into one file.
func writeMixed(t *testing.T, w *Writer) []mixedPkt {
	t.Helper()
	eth, err := w.AddInterface(Interface{Name: "eth-test", Description: "veth", LinkType: LinkTypeEthernet})
	if err != nil {
		t.Fatal(err)
	}
	can, err := w.AddInterface(Interface{Name: "vcan0", LinkType: LinkTypeCANSocketCAN, SnapLen: 72})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Unix(1763780000, 123456789)
	var pkts []mixedPkt
	for i := range 10 {
		ts := base.Add(time.Duration(i)*time.Millisecond + time.Duration(i))
		var p mixedPkt
		if i%2 == 0 {
			p = mixedPkt{eth, ts, testFrame(i, 60+i)}
		} else {
			var frame []byte
			switch i {
			case 3:
				frame = canFDFrame(0x1abcdef0|0x80000000, 0x01, bytes.Repeat([]byte{byte(i)}, 12))
			case 7:
				frame = canFrame(0x80000000|0x12345678, 1, 2, 3)
			default:
				frame = canFrame(uint32(0x100+i), byte(i), 0xaa)
			}
			rec, err := AppendSocketCAN(nil, frame)
			if err != nil {
				t.Fatal(err)
			}
			p = mixedPkt{can, ts, rec}
		}
		dir := DirectionInbound
		if i == 4 {
			dir = DirectionOutbound
		}
		if err := w.WritePacket(p.iface, CaptureInfo{Timestamp: p.ts, Direction: dir}, p.data); err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, p)
	}
	if err := w.WriteStats(eth, InterfaceStats{Timestamp: base.Add(time.Second), Received: 7, Dropped: 2, Delivered: 5}); err != nil {
		t.Fatal(err)
	}
	return pkts
}

func TestPcapngRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := writeMixed(t, w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range want {
		rec, err := r.ReadPacket()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if rec.Interface != p.iface || !rec.Timestamp.Equal(p.ts) || !bytes.Equal(rec.Data, p.data) || rec.Length != len(p.data) {
			t.Errorf("packet %d: got if=%d ts=%v len=%d %x\nwant if=%d ts=%v %x", i, rec.Interface, rec.Timestamp, rec.Length, rec.Data, p.iface, p.ts, p.data)
		}
		if wantDir := map[bool]Direction{true: DirectionOutbound, false: DirectionInbound}[i == 4]; rec.Direction != wantDir {
			t.Errorf("packet %d direction %d want %d", i, rec.Direction, wantDir)
		}
	}
	if _, err := r.ReadPacket(); err != io.EOF {
		t.Fatalf("after last packet: %v, want io.EOF", err)
	}
	ifs := r.Interfaces()
	if len(ifs) != 2 || ifs[0].Name != "eth-test" || ifs[0].LinkType != LinkTypeEthernet || ifs[1].Name != "vcan0" ||
		ifs[1].LinkType != LinkTypeCANSocketCAN || ifs[1].SnapLen != 72 || ifs[0].TimestampResolution != time.Nanosecond {
		t.Errorf("interfaces %+v", ifs)
	}
	st, ok := r.Stats(0)
	if !ok || st.Received != 7 || st.Dropped != 2 || st.Delivered != 5 {
		t.Errorf("stats %+v %v", st, ok)
	}
}

func TestRotationBySizeAndTime(t *testing.T) {
	dir := t.TempDir()
	var rotated []string
	w, err := CreateFile(filepath.Join(dir, "cap.pcapng"), &WriterConfig{RotateSize: 4096, OnRotate: func(p string) { rotated = append(rotated, p) }})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := w.AddInterface(Interface{Name: "x", LinkType: LinkTypeEthernet})
	base := time.Unix(1763780000, 0)
	const total = 100
	for i := range total {
		if err := w.WritePacket(id, CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Microsecond)}, testFrame(i, 200)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteStats(id, InterfaceStats{Received: total, Dropped: 3}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := w.Files()
	if len(files) < 4 || len(rotated) != len(files) {
		t.Fatalf("files %v rotated %v: want several, all reported", files, rotated)
	}
	n := 0
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 4096+300 {
			t.Errorf("%s: %d bytes, limit 4096 (+ one packet)", f, fi.Size())
		}
		got := readAll(t, f)
		for _, rec := range got {
			if !bytes.Equal(rec.Data, testFrame(n, 200)) {
				t.Errorf("%s: packet %d differs", f, n)
			}
			n++
		}
	}
	if n != total {
		t.Errorf("read %d packets over %d files, want %d", n, len(files), total)
	}

	// Time: one file per 10 ms of capture time, MaxFiles keeps the last 2.
	w, err = CreateFile(filepath.Join(dir, "t.pcapng"), &WriterConfig{RotateInterval: 10 * time.Millisecond, MaxFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	id, _ = w.AddInterface(Interface{Name: "x", LinkType: LinkTypeEthernet})
	for i := range 50 {
		if err := w.WritePacket(id, CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Millisecond)}, testFrame(i, 64)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if files := w.Files(); len(files) != 5 {
		t.Fatalf("time rotation made %d files, want 5: %v", len(files), files)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "t_*.pcapng"))
	if len(left) != 2 {
		t.Fatalf("MaxFiles 2 left %v", left)
	}
	if recs := readAll(t, left[1]); len(recs) != 10 || !bytes.Equal(recs[0].Data, testFrame(40, 64)) {
		t.Errorf("last file: %d packets", len(recs))
	}
}

func readAll(t testing.TB, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []Record
	for {
		rec, err := r.ReadPacket()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rec.Data = bytes.Clone(rec.Data)
		out = append(out, rec)
	}
}

func TestReaderRejectsCorrupt(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, nil)
	id, _ := w.AddInterface(Interface{LinkType: LinkTypeEthernet})
	w.WritePacket(id, CaptureInfo{Timestamp: time.Unix(1, 0)}, testFrame(1, 60))
	w.Close()
	good := buf.Bytes()
	for name, mut := range map[string]func([]byte) []byte{
		"truncated":     func(b []byte) []byte { return b[:len(b)-3] },
		"bad trailer":   func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"bad BOM":       func(b []byte) []byte { b[8] ^= 0xff; return b },
		"huge capLen":   func(b []byte) []byte { binary.NativeEndian.PutUint32(b[epbAt(b)+20:], 1<<30); return b },
		"unknown iface": func(b []byte) []byte { binary.NativeEndian.PutUint32(b[epbAt(b)+8:], 5); return b },
		"not capture":   func(b []byte) []byte { return []byte("hello world, not a capture") },
	} {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(mut(bytes.Clone(good))))
			if err == nil {
				for {
					if _, err = r.ReadPacket(); err != nil {
						break
					}
				}
			}
			if err == nil || err == io.EOF {
				t.Fatalf("corrupt file read without error")
			}
			t.Log(err)
		})
	}
}

// epbAt returns the offset of the last block (the EPB) of b.
func epbAt(b []byte) int { return len(b) - int(binary.NativeEndian.Uint32(b[len(b)-4:])) }

func TestAppendCANRecordMatchesKernelLayout(t *testing.T) {
	fromFields, err := AppendCANRecord(nil, 0x80000000|0x12345678, false, 0, []byte{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	fromKernel, _ := AppendSocketCAN(nil, canFrame(0x80000000|0x12345678, 1, 2, 3))
	if !bytes.Equal(fromFields, fromKernel) {
		t.Errorf("classic: %x vs %x", fromFields, fromKernel)
	}
	data := bytes.Repeat([]byte{7}, 12)
	fromFields, _ = AppendCANRecord(nil, 0x456, true, 0x01, data)
	fromKernel, _ = AppendSocketCAN(nil, canFDFrame(0x456, 0x01, data))
	if !bytes.Equal(fromFields, fromKernel) || fromFields[5] != 0x05 {
		t.Errorf("FD: %x vs %x", fromFields, fromKernel)
	}
	if _, err := AppendCANRecord(nil, 1, false, 0, make([]byte, 9)); err == nil {
		t.Error("9 data bytes in a classic frame accepted")
	}
	if _, err := AppendSocketCAN(nil, make([]byte, 20)); err == nil {
		t.Error("20-byte frame accepted")
	}
}

func TestReaderSectionsAndBigEndian(t *testing.T) {
	// Two sections back to back: interface ids start again in the second.
	var a, b bytes.Buffer
	wa, _ := NewWriter(&a, nil)
	wa.AddInterface(Interface{Name: "one", LinkType: LinkTypeEthernet})
	wa.WritePacket(0, CaptureInfo{Timestamp: time.Unix(10, 0)}, testFrame(1, 60))
	wa.Close()
	wb, _ := NewWriter(&b, nil)
	wb.AddInterface(Interface{Name: "two", LinkType: LinkTypeCANSocketCAN})
	rec, _ := AppendCANRecord(nil, 0x123, false, 0, []byte{1})
	wb.WritePacket(0, CaptureInfo{Timestamp: time.Unix(20, 0)}, rec)
	wb.Close()
	r, err := NewReader(io.MultiReader(&a, &b))
	if err != nil {
		t.Fatal(err)
	}
	r1, err1 := r.ReadPacket()
	i1, _ := r.Interface(r1.Interface)
	r2, err2 := r.ReadPacket()
	i2, _ := r.Interface(r2.Interface)
	if err1 != nil || err2 != nil || i1.Name != "one" || i2.Name != "two" || r2.Interface != 0 || !bytes.Equal(r2.Data, rec) || len(r.Interfaces()) != 1 {
		t.Fatalf("sections: %v %v %+v %+v", err1, err2, i1, i2)
	}

	// A big-endian file with microsecond timestamps, built by hand.
	be := binary.BigEndian
	var f []byte
	block := func(typ uint32, body []byte) {
		f = be.AppendUint32(f, typ)
		f = be.AppendUint32(f, uint32(12+len(body)))
		f = append(f, body...)
		f = be.AppendUint32(f, uint32(12+len(body)))
	}
	shb := be.AppendUint32(nil, pcapngBOM)
	shb = be.AppendUint16(shb, 1)
	shb = be.AppendUint16(shb, 0)
	shb = be.AppendUint64(shb, ^uint64(0))
	block(blockSHB, shb)
	idb := be.AppendUint16(nil, 1)
	idb = be.AppendUint16(idb, 0)
	idb = be.AppendUint32(idb, 65535)
	idb = append(idb, 0, 2, 0, 3, 'b', 'e', '0', 0, 0, 0, 0, 0) // if_name "be0", end
	block(blockIDB, idb)
	frame := testFrame(5, 64)
	ts := uint64(1700000000)*1e6 + 250000 // microseconds (default if_tsresol)
	epb := be.AppendUint32(nil, 0)
	epb = be.AppendUint32(epb, uint32(ts>>32))
	epb = be.AppendUint32(epb, uint32(ts))
	epb = be.AppendUint32(epb, 64)
	epb = be.AppendUint32(epb, 100)
	epb = append(epb, frame...)
	block(blockEPB, epb)
	r, err = NewReader(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.ReadPacket()
	if err != nil || !bytes.Equal(got.Data, frame) || got.Length != 100 || !got.Timestamp.Equal(time.Unix(1700000000, 250000000)) {
		t.Fatalf("big-endian: %v len %d ts %v", err, got.Length, got.Timestamp)
	}
	if ifc, _ := r.Interface(0); ifc.Name != "be0" || ifc.TimestampResolution != time.Microsecond {
		t.Errorf("big-endian interface %+v", ifc)
	}
}
