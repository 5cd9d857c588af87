package core

import (
	"strconv"
	"syscall"
)

// TIPCAddr is an AF_TIPC socket address: Python's
// (addr_type, v1, v2, v3, scope) tuple, whose three values depend on
// AddrType:
//
//	TIPC_ADDR_NAMESEQ (service range): V1 = type, V2 = lower, V3 = upper
//	TIPC_ADDR_NAME    (service):       V1 = type, V2 = instance, V3 = domain
//	TIPC_ADDR_ID      (socket):        V1 = node, V2 = ref, V3 unused
//
// Scope is the binding scope (TIPC_ZONE_SCOPE, TIPC_CLUSTER_SCOPE,
// TIPC_NODE_SCOPE). Use TIPCServiceRange, TIPCService and TIPCSocketAddr to
// build one. struct sockaddr_tipc: 16 bytes (family, addrtype u8, scope s8,
// then a 12-byte union; tipc_portid is ref then node).
type TIPCAddr struct {
	AddrType   uint8
	Scope      int8
	V1, V2, V3 uint32
}

var (
	_ Addr = TIPCAddr{}
	_ Addr = (*TIPCAddr)(nil)
)

// TIPCServiceRange returns a TIPC_ADDR_NAMESEQ address for binding a
// service range (Python: (TIPC_ADDR_NAMESEQ, type, lower, upper, scope)).
func TIPCServiceRange(typ, lower, upper uint32, scope int8) TIPCAddr {
	return TIPCAddr{AddrType: TIPC_ADDR_NAMESEQ, Scope: scope, V1: typ, V2: lower, V3: upper}
}

// TIPCService returns a TIPC_ADDR_NAME address of one service instance,
// looked up in domain (0 = anywhere).
func TIPCService(typ, instance, domain uint32) TIPCAddr {
	return TIPCAddr{AddrType: TIPC_ADDR_NAME, V1: typ, V2: instance, V3: domain}
}

// TIPCSocketAddr returns a TIPC_ADDR_ID address of one socket.
func TIPCSocketAddr(node, ref uint32) TIPCAddr {
	return TIPCAddr{AddrType: TIPC_ADDR_ID, V1: node, V2: ref}
}

// Family returns AF_TIPC.
func (TIPCAddr) Family() int { return AF_TIPC }

// String returns the address in the form of the tipc tool:
// "{type,lower,upper}", "{type,instance}@domain" or "<node:ref>", with the
// scope appended.
func (a TIPCAddr) String() string {
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	var s string
	switch a.AddrType {
	case TIPC_ADDR_NAMESEQ:
		s = "{" + u(a.V1) + "," + u(a.V2) + "," + u(a.V3) + "}"
	case TIPC_ADDR_NAME:
		s = "{" + u(a.V1) + "," + u(a.V2) + "}@" + u(a.V3)
	case TIPC_ADDR_ID:
		s = "<" + u(a.V1) + ":" + u(a.V2) + ">"
	default:
		s = "addrtype" + strconv.Itoa(int(a.AddrType)) + "(" + u(a.V1) + "," + u(a.V2) + "," + u(a.V3) + ")"
	}
	if a.Scope != 0 {
		s += " scope=" + strconv.Itoa(int(a.Scope))
	}
	return s
}

func checkTIPCType(t uint8) bool {
	return t == TIPC_ADDR_NAMESEQ || t == TIPC_ADDR_NAME || t == TIPC_ADDR_ID
}

func (a *TIPCAddr) appendTo(dst []byte) ([]byte, error) {
	if !checkTIPCType(a.AddrType) {
		return dst, marshalErr(AF_TIPC, "AddrType", strconv.Itoa(int(a.AddrType))+" is not TIPC_ADDR_NAMESEQ, TIPC_ADDR_NAME or TIPC_ADDR_ID", syscall.EINVAL)
	}
	dst, b := grow(dst, SizeofSockaddrTIPC)
	putFamily(b, AF_TIPC)
	b[2] = a.AddrType
	b[3] = byte(a.Scope)
	if a.AddrType == TIPC_ADDR_ID {
		ne.PutUint32(b[4:], a.V2) // tipc_portid.ref
		ne.PutUint32(b[8:], a.V1) // tipc_portid.node
	} else {
		ne.PutUint32(b[4:], a.V1)
		ne.PutUint32(b[8:], a.V2)
		ne.PutUint32(b[12:], a.V3)
	}
	return dst, nil
}

func (a *TIPCAddr) decode(raw []byte) error {
	if err := checkFamily(raw, AF_TIPC, "sockaddr_tipc", SizeofSockaddrTIPC); err != nil {
		return err
	}
	if !checkTIPCType(raw[2]) {
		return parseErr(AF_TIPC, len(raw), "AddrType", "unknown address type "+strconv.Itoa(int(raw[2])))
	}
	a.AddrType = raw[2]
	a.Scope = int8(raw[3])
	if a.AddrType == TIPC_ADDR_ID {
		a.V1 = ne.Uint32(raw[8:])
		a.V2 = ne.Uint32(raw[4:])
		a.V3 = 0
	} else {
		a.V1 = ne.Uint32(raw[4:])
		a.V2 = ne.Uint32(raw[8:])
		a.V3 = ne.Uint32(raw[12:])
	}
	return nil
}
