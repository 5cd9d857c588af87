//go:build hil

package core

import (
	"reflect"
	"testing"
	"time"
)

// The same round trips through core.Socket, so the engine's use of the
// codec (typ/proto passed to ParseSockaddr, reused addresses) is covered.
func TestRigSocketAddrs(t *testing.T) {
	cases := []struct {
		fam, typ, proto int
		bind            Addr
		want            Addr
	}{
		{AF_CAN, SOCK_RAW, CAN_RAW, CANAddr{Interface: "vcan0"}, &CANAddr{Interface: "vcan0"}},
		{AF_CAN, SOCK_DGRAM, CAN_ISOTP, ISOTPAddr{Interface: "vcan0", RxID: 0x7E8, TxID: 0x7E0}, &ISOTPAddr{Interface: "vcan0", RxID: 0x7E8, TxID: 0x7E0}},
		{AF_CAN, SOCK_DGRAM, CAN_J1939, J1939Addr{Interface: "vcan1", Name: 42, PGN: J1939_NO_PGN, Addr: 0x81}, &J1939Addr{Interface: "vcan1", Name: 42, PGN: J1939_NO_PGN, Addr: 0x81}},
		{AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_L2CAP, L2CAPAddr{PSM: 0x1003}, &L2CAPAddr{PSM: 0x1003}},
		{AF_VSOCK, SOCK_STREAM, 0, VSockAddr{CID: VMADDR_CID_ANY, Port: 7003}, &VSockAddr{CID: VMADDR_CID_ANY, Port: 7003}},
		{AF_QIPCRTR, SOCK_DGRAM, 0, nil, nil},
	}
	for _, c := range cases {
		s, err := NewSocket(c.fam, c.typ, c.proto)
		if err != nil {
			t.Fatalf("NewSocket(%v, %v, %d): %v", Family(c.fam), Kind(c.typ), c.proto, err)
		}
		defer s.Close()
		if c.bind != nil {
			if err := s.Bind(c.bind); err != nil {
				t.Fatalf("Bind(%v): %v", c.bind, err)
			}
		}
		got, err := s.SockName()
		if err != nil {
			t.Fatalf("%v SockName: %v", Family(c.fam), err)
		}
		if c.want == nil {
			continue
		}
		// Fill the index the engine resolved so the values compare.
		switch w := c.want.(type) {
		case *CANAddr:
			w.Index = ifIndex(t, w.Interface)
		case *ISOTPAddr:
			w.Index = ifIndex(t, w.Interface)
		case *J1939Addr:
			w.Index = ifIndex(t, w.Interface)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: SockName %#v, want %#v", Family(c.fam), got, c.want)
		}
	}

	// TIPC datagram through Socket: the source RecvFromInto fills in a
	// reused TIPCAddr equals the sender's SockName.
	srv, err := NewSocket(AF_TIPC, SOCK_RDM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Bind(TIPCServiceRange(2003, 0, 9, TIPC_CLUSTER_SCOPE)); err != nil {
		t.Fatal(err)
	}
	cli, err := NewSocket(AF_TIPC, SOCK_RDM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.SendTo([]byte("x"), 0, TIPCService(2003, 4, 0)); err != nil {
		t.Fatal(err)
	}
	srv.SetTimeout(10 * time.Second)
	var from TIPCAddr
	buf := make([]byte, 16)
	n, a, err := srv.RecvFromInto(buf, 0, &from)
	me, _ := cli.SockName()
	if err != nil || n != 1 || a != Addr(&from) || !reflect.DeepEqual(&from, me) {
		t.Fatalf("RecvFromInto: n=%d from %v (%v), sender %v", n, a, err, me)
	}
}
