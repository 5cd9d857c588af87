package bluetooth

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/fieldgate/fieldgate/core"
)

func TestOpcode(t *testing.T) {
	op := NewOpcode(0x04, 0x0009)
	if op != OpReadBDAddr || op.OGF() != 4 || op.OCF() != 9 || op.String() != "Read BD_ADDR" {
		t.Fatalf("opcode %#x ogf %d ocf %d %q", uint16(op), op.OGF(), op.OCF(), op)
	}
	if s := NewOpcode(0x3f, 0x3ff).String(); s != "OGF 0x3f OCF 0x3ff" {
		t.Errorf("vendor opcode %q", s)
	}
}

func TestCommandBytes(t *testing.T) {
	b, err := Command{Opcode: OpReadBDAddr}.MarshalBinary()
	if err != nil || !bytes.Equal(b, []byte{0x01, 0x09, 0x10, 0x00}) {
		t.Fatalf("Read BD_ADDR % x, %v", b, err)
	}
	b, _ = Command{Opcode: OpWriteScanEnable, Params: []byte{0x03}}.MarshalBinary()
	if !bytes.Equal(b, []byte{0x01, 0x1a, 0x0c, 0x01, 0x03}) {
		t.Fatalf("Write Scan Enable % x", b)
	}
	c, err := ParseCommand(b[1:])
	if err != nil || c.Opcode != OpWriteScanEnable || !bytes.Equal(c.Params, []byte{3}) {
		t.Fatalf("parse %+v, %v", c, err)
	}
	if _, err := ParseCommand([]byte{0x03, 0x0c, 0x01}); !errors.Is(err, ErrShort) {
		t.Errorf("short command: %v", err)
	}
	if _, err := (Command{Params: make([]byte, 256)}).MarshalBinary(); err == nil {
		t.Error("256 parameter bytes accepted")
	}
}

// A Command Complete for Read BD_ADDR as a raw socket reads it.
func TestCommandCompleteReadBDAddr(t *testing.T) {
	raw := []byte{0x04, 0x0e, 0x0a, 0x01, 0x09, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01, 0xaa, 0x00}
	p, err := ParsePacket(raw)
	if err != nil || p.Type != EventPacket {
		t.Fatal(p, err)
	}
	e, err := p.Event()
	if err != nil || e.Code != EvtCommandComplete || len(e.Params) != 10 {
		t.Fatalf("%v, %v", e, err)
	}
	cc, err := e.CommandComplete()
	if err != nil || cc.NumPackets != 1 || cc.Opcode != OpReadBDAddr || cc.Return[0] != 0 {
		t.Fatalf("%+v, %v", cc, err)
	}
	a, err := parseBDAddr(cc.Return[1:])
	if err != nil || a != (core.BDAddr{0x00, 0xAA, 0x01, 0x00, 0x00, 0x00}) {
		t.Fatalf("address %v, %v", a, err)
	}
	if _, err := e.CommandStatus(); err == nil {
		t.Error("Command Complete decoded as Command Status")
	}
	out, _ := e.MarshalBinary()
	if !bytes.Equal(out, raw[1:]) {
		t.Errorf("re-encoded % x", out)
	}
}

func TestCommandStatus(t *testing.T) {
	e, err := ParseEvent([]byte{0x0f, 0x04, 0x01, 0x01, 0xff, 0x13})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := e.CommandStatus()
	if err != nil || cs != (CommandStatus{Status: 1, NumPackets: 1, Opcode: NewOpcode(0x04, 0x3ff)}) {
		t.Fatalf("%+v, %v", cs, err)
	}
	se := &StatusError{Opcode: cs.Opcode, Status: cs.Status}
	if se.Error() != "bluetooth: OGF 0x4 OCF 0x3ff: HCI status 0x1 (Unknown HCI Command)" {
		t.Errorf("%q", se.Error())
	}
}

func TestParseEventLengths(t *testing.T) {
	for _, b := range [][]byte{nil, {0x0e}, {0x0e, 0x03, 0x01}} {
		if _, err := ParseEvent(b); !errors.Is(err, ErrShort) {
			t.Errorf("% x: %v, want ErrShort", b, err)
		}
	}
	if _, err := ParseEvent([]byte{0x0e, 0x00, 0x01}); err == nil || errors.Is(err, ErrShort) {
		t.Errorf("trailing byte: %v", err)
	}
	if _, err := (Event{Code: 0x0e}).CommandComplete(); !errors.Is(err, ErrShort) {
		t.Errorf("empty Command Complete: %v", err)
	}
}

func TestLocalVersion(t *testing.T) {
	// hciconfig -a on a btvirt controller: HCI/LMP 5.0 (0x9), manufacturer 1521.
	v, err := parseLocalVersion([]byte{0x09, 0x00, 0x00, 0x09, 0xf1, 0x05, 0x00, 0x00})
	if err != nil || v != (LocalVersion{HCIVersion: 9, LMPVersion: 9, Manufacturer: 1521}) {
		t.Fatalf("%+v, %v", v, err)
	}
}

// struct hci_ufilter, byte for byte, as BlueZ's hci_filter_set_ptype and
// hci_filter_set_event build it (little-endian host).
func TestFilterBytes(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("byte-exact expectations are for little-endian hosts")
	}
	var f Filter
	f.SetType(EventPacket)
	f.SetEvent(EvtCommandComplete)
	f.SetEvent(EvtCommandStatus)
	f.SetEvent(EvtLEMeta)
	f.Opcode = OpReadBDAddr
	b, err := f.MarshalBinary()
	want := []byte{0x10, 0, 0, 0, 0x00, 0xc0, 0, 0, 0x00, 0x00, 0x00, 0x40, 0x09, 0x10, 0, 0}
	if err != nil || !bytes.Equal(b, want) {
		t.Fatalf("% x\nwant % x", b, want)
	}
	var back Filter
	if err := back.UnmarshalBinary(b[:14]); err != nil || back != f {
		t.Fatalf("round trip %+v, %v", back, err)
	}
	if !back.HasEvent(0x3e) || back.HasEvent(0x3f) || !back.HasType(EventPacket) || back.HasType(ACLPacket) {
		t.Errorf("Has* on %+v", back)
	}
	var v Filter
	v.SetType(VendorPacket)
	if v.TypeMask != 1 {
		t.Errorf("vendor packets on bit %#x, want bit 0", v.TypeMask)
	}
	all, _ := AllEvents().MarshalBinary()
	if !bytes.Equal(all, []byte{0x10, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}) {
		t.Errorf("AllEvents % x", all)
	}
	if err := back.UnmarshalBinary(b[:13]); !errors.Is(err, ErrShort) {
		t.Errorf("13 bytes: %v", err)
	}
}

func TestMonitorPackets(t *testing.T) {
	// HCI_MON_NEW_INDEX for hci1: primary, virtual, 00:AA:01:01:00:01.
	raw := []byte{0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xaa, 0x00, 'h', 'c', 'i', '1', 0, 0, 0, 0}
	p, err := ParseMonitor(raw)
	if err != nil || p.Opcode != MonNewIndex || p.Index != 1 || p.Opcode.String() != "NewIndex" {
		t.Fatalf("%+v, %v", p, err)
	}
	ni, err := p.NewIndex()
	if err != nil || ni != (NewIndex{Type: 0, Bus: BusVirtual, BDAddr: core.BDAddr{0x00, 0xAA, 0x01, 0x01, 0x00, 0x01}, Name: "hci1"}) {
		t.Fatalf("%+v, %v", ni, err)
	}
	out, _ := p.AppendBinary(nil)
	if !bytes.Equal(out, raw) {
		t.Errorf("re-encoded % x", out)
	}
	if _, err := p.IndexInfo(); err == nil {
		t.Error("NewIndex decoded as IndexInfo")
	}
	ii, err := MonitorPacket{Opcode: MonIndexInfo, Data: []byte{1, 0, 0, 1, 0xaa, 0, 0xf1, 0x05}}.IndexInfo()
	if err != nil || ii.Manufacturer != 1521 || ii.BDAddr.String() != "00:AA:01:00:00:01" {
		t.Errorf("%+v, %v", ii, err)
	}
	if _, err := ParseMonitor(raw[:21]); !errors.Is(err, ErrShort) {
		t.Errorf("truncated: %v", err)
	}
	if s := MonitorOpcode(99).String(); s != "MonitorOpcode(99)" {
		t.Errorf("%q", s)
	}
}

func TestDevInfo(t *testing.T) {
	b := make([]byte, sizeofDevInfo)
	ne := binary.NativeEndian
	ne.PutUint16(b, 1)
	copy(b[2:], "hci1")
	copy(b[10:], []byte{0x01, 0x00, 0x01, 0x01, 0xaa, 0x00})
	ne.PutUint32(b[16:], uint32(FlagUp|FlagRunning|FlagPScan|FlagIScan))
	b[20] = byte(BusUSB)
	copy(b[21:], []byte{0xa7, 0x08, 0x08, 0xc6, 0xd8, 0x1f, 0x7b, 0x83})
	ne.PutUint16(b[44:], 192)
	ne.PutUint16(b[46:], 1)
	ne.PutUint32(b[60:], 51) // stat.cmd_tx
	d, err := parseDevInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != 1 || d.Name != "hci1" || d.BDAddr.String() != "00:AA:01:01:00:01" || d.Bus != BusUSB || d.Type != 0 ||
		d.Features[0] != 0xa7 || d.ACLMTU != 192 || d.ACLPackets != 1 || d.Stats.CmdTx != 51 {
		t.Fatalf("%+v", d)
	}
	if s := d.Flags.String(); s != "UP RUNNING PSCAN ISCAN" {
		t.Errorf("flags %q", s)
	}
	if s := DeviceFlags(0).String(); s != "DOWN" {
		t.Errorf("no flags %q", s)
	}
	if _, err := parseDevInfo(b[:91]); !errors.Is(err, ErrShort) {
		t.Errorf("short: %v", err)
	}
	l := make([]byte, 4+16)
	ne.PutUint16(l, 2)
	ne.PutUint16(l[4:], 0)
	ne.PutUint16(l[12:], 3)
	ids, err := parseDevList(l)
	if err != nil || len(ids) != 2 || ids[0] != 0 || ids[1] != 3 {
		t.Errorf("dev list %v, %v", ids, err)
	}
}

func TestL2CAPOptionsBytes(t *testing.T) {
	o := L2CAPOptions{OMTU: 672, IMTU: 1000, FlushTO: 0xffff, Mode: L2CAPModeERTM, FCS: 1, MaxTx: 3, TxWinSize: 63}
	b, _ := o.MarshalBinary()
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		want := []byte{0xa0, 0x02, 0xe8, 0x03, 0xff, 0xff, 0x03, 0x01, 0x03, 0x00, 0x3f, 0x00}
		if !bytes.Equal(b, want) {
			t.Fatalf("% x\nwant % x", b, want)
		}
	}
	var back L2CAPOptions
	if err := back.UnmarshalBinary(b); err != nil || back != o {
		t.Fatalf("%+v, %v", back, err)
	}
}

func TestConfigValidation(t *testing.T) {
	if typ, err := (*Config)(nil).typ(core.BTPROTO_L2CAP); err != nil || typ != core.SOCK_SEQPACKET {
		t.Errorf("L2CAP default %v, %v", typ, err)
	}
	if typ, err := (*Config)(nil).typ(core.BTPROTO_RFCOMM); err != nil || typ != core.SOCK_STREAM {
		t.Errorf("RFCOMM default %v, %v", typ, err)
	}
	if _, err := (&Config{Type: core.SOCK_SEQPACKET}).typ(core.BTPROTO_RFCOMM); err == nil {
		t.Error("seqpacket RFCOMM accepted")
	}
	if err := (&Config{IMTU: 40}).validate(core.BTPROTO_L2CAP); err == nil {
		t.Error("IMTU 40 accepted")
	}
	if err := (&Config{IMTU: 1000}).validate(core.BTPROTO_RFCOMM); err == nil {
		t.Error("IMTU for RFCOMM accepted")
	}
	if err := (&Config{Security: 5}).validate(core.BTPROTO_L2CAP); err == nil {
		t.Error("security 5 accepted")
	}
	if _, err := (&HCIConfig{Channel: ChannelMonitor, Filter: &Filter{}}).channel(); err == nil {
		t.Error("filter on the monitor channel accepted")
	}
	if _, err := (&HCIConfig{Channel: 9}).channel(); err == nil {
		t.Error("channel 9 accepted")
	}
}
