package packet

import "encoding/binary"

const (
	vlanTagLen    = 4
	tpidDot1Q     = 0x8100
	tpStatusVLAN  = 0x10 // TP_STATUS_VLAN_VALID
	tpStatusTPID  = 0x40 // TP_STATUS_VLAN_TPID_VALID
	tpStatusUser  = 0x01 // TP_STATUS_USER
	tpStatusLoss  = 0x04 // TP_STATUS_LOSING
	tpStatusCopy  = 0x02 // TP_STATUS_COPY
	arphrdEther   = 1
	arphrdCAN     = 280
	arphrdLoop    = 772
	arphrdNone    = 0xfffe
	arphrdVoid    = 0xffff
	arphrdIPGRE   = 778
	arphrdRawIP   = 519
	arphrdTunnel6 = 769
)

// vlanValid mirrors libpcap's VLAN_VALID: a tag is present when the kernel
// says so or when the TCI is non-zero (kernels before 3.0 had no flag).
func vlanValid(status uint32, tci uint16) bool {
	return status&tpStatusVLAN != 0 || tci != 0
}

// vlanTPID returns the tag's TPID, 0x8100 when the kernel did not report
// one (kernels before 3.14).
func vlanTPID(status uint32, tpid uint16) uint16 {
	if status&tpStatusTPID != 0 && tpid != 0 {
		return tpid
	}
	return tpidDot1Q
}

// putVLANTag writes the 4-byte tag at the start of b (as far as b reaches).
func putVLANTag(b []byte, v VLAN) {
	var t [vlanTagLen]byte
	binary.BigEndian.PutUint16(t[0:], v.TPID)
	binary.BigEndian.PutUint16(t[2:], v.TCI)
	copy(b, t[:])
}
