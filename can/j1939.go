package can

import (
	"fmt"
	"syscall"
)

// J1939 special values (linux/can/j1939.h).
const (
	J1939NoName   uint64 = 0         // J1939_NO_NAME
	J1939NoPGN    uint32 = 0x40000   // J1939_NO_PGN
	J1939NoAddr   uint8  = 0xFF      // J1939_NO_ADDR: broadcast as destination
	J1939IdleAddr uint8  = 0xFE      // J1939_IDLE_ADDR: "cannot claim"
	J1939PGNMax   uint32 = 0x3FFFF   // J1939_PGN_MAX
	J1939PGNClaim uint32 = 0x0EE00   // J1939_PGN_ADDRESS_CLAIMED
	J1939PGNReq   uint32 = 0x0EA00   // J1939_PGN_REQUEST
	j1939PDU1Max  uint32 = 0xEF00    // PGNs below 0xF000 are PDU1 (destination specific)
	j1939MaxTP    int    = 1785      // largest transport protocol (TP) message
	j1939MaxETP   int    = 117440505 // largest extended TP message
)

// J1939Addr is a J1939 endpoint: a NAME (resolved by the kernel from
// address claims; J1939NoName for none), a PGN and an 8-bit address.
type J1939Addr struct {
	Name uint64
	PGN  uint32
	Addr uint8
}

// String returns "name=0x.. pgn=0x.. addr=0x..".
func (a J1939Addr) String() string {
	return fmt.Sprintf("name=%#x pgn=%#05x addr=%#02x", a.Name, a.PGN, a.Addr)
}

// J1939Config configures a J1939 socket.
type J1939Config struct {
	// Local is the bound address: Name (J1939NoName), PGN (J1939NoPGN to
	// receive every PGN), Addr (J1939NoAddr to bind by Name only or
	// receive only). The zero value is replaced by NoPGN/NoAddr when
	// PGN is 0 and Addr is 0 and NoDefaults is false.
	Local J1939Addr
	// Promiscuous receives all traffic, not only what is addressed to
	// Local (SO_J1939_PROMISC).
	Promiscuous bool
	// Broadcast allows sending to J1939NoAddr (SO_BROADCAST).
	Broadcast bool
	// Priority is the priority 0 (highest) .. 7 of sent messages
	// (SO_J1939_SEND_PRIO); nil keeps the kernel's default 6.
	Priority *uint8
	// ErrQueue enables transfer status events (SO_J1939_ERRQUEUE plus
	// SO_TIMESTAMPING tx reports) read with ReadEvent.
	ErrQueue bool
}

// J1939Meta is what the kernel tells about a received message besides the
// source address.
type J1939Meta struct {
	DestAddr uint8  // SCM_J1939_DEST_ADDR; J1939NoAddr for broadcasts
	DestName uint64 // SCM_J1939_DEST_NAME (0 when none)
	Priority uint8  // SCM_J1939_PRIO
}

// J1939EventKind classifies an error queue event.
type J1939EventKind int

// Error queue events.
const (
	J1939EventUnknown   J1939EventKind = iota
	J1939EventScheduled                // the transfer started (SCM_TSTAMP_SCHED)
	J1939EventCompleted                // the transfer completed (SCM_TSTAMP_ACK)
	J1939EventTxAbort                  // our transfer was aborted (J1939_EE_INFO_TX_ABORT)
	J1939EventRxRTS                    // a peer announced a transfer to us
	J1939EventRxDPO                    // a peer sent an ETP data packet offset
	J1939EventRxAbort                  // a transfer to us was aborted
)

var j1939EventNames = [...]string{"unknown", "scheduled", "completed", "tx-abort", "rx-rts", "rx-dpo", "rx-abort"}

// String names the event.
func (k J1939EventKind) String() string {
	if int(k) < len(j1939EventNames) {
		return j1939EventNames[k]
	}
	return fmt.Sprintf("event-%d", int(k))
}

// J1939Event is one transfer status event from the socket's error queue.
type J1939Event struct {
	Kind J1939EventKind
	// Err is the abort reason for aborts (e.g. ETIME, EHOSTUNREACH), else nil.
	Err syscall.Errno
	// ID is the per-socket counter of the send that the event belongs to.
	ID uint32
	// BytesAcked and TotalSize report the transfer's progress, from the
	// J1939_NLA_* statistics (Linux 6.1 fills BytesAcked; the other
	// statistics fields stay zero when the kernel omits them).
	BytesAcked, TotalSize uint32
	PGN                   uint32
	SrcName, DestName     uint64
	SrcAddr, DestAddr     uint8
}

// String describes the event.
func (e J1939Event) String() string {
	s := fmt.Sprintf("%s id=%d pgn=%#05x %d/%d bytes src=%#02x dst=%#02x", e.Kind, e.ID, e.PGN, e.BytesAcked, e.TotalSize, e.SrcAddr, e.DestAddr)
	if e.Err != 0 {
		s += ": " + e.Err.Error()
	}
	return s
}

// ValidPGN reports whether pgn is a PGN the kernel accepts for sending:
// at most 18 bits, and PDU1 PGNs with a zero destination byte.
func ValidPGN(pgn uint32) bool {
	if pgn > J1939PGNMax {
		return false
	}
	if pgn&0xFF00 <= j1939PDU1Max && pgn&0xFF != 0 {
		return false
	}
	return true
}
