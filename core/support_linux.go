//go:build linux

package core

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// probes lists every socket kind the product uses, with the kernel option
// and modules that provide it.
func probes() []probe {
	alg := func(typ, name string) func(int) error {
		return func(fd int) error { return unix.Bind(fd, &unix.SockaddrALG{Type: typ, Name: name}) }
	}
	return []probe{
		{name: "IPv4", family: unix.AF_INET, kind: unix.SOCK_DGRAM, option: "CONFIG_INET"},
		{name: "IPv6", family: unix.AF_INET6, kind: unix.SOCK_DGRAM, option: "CONFIG_IPV6", modules: "ipv6"},
		{name: "Unix", family: unix.AF_UNIX, kind: unix.SOCK_SEQPACKET, option: "CONFIG_UNIX"},
		{name: "Netlink route", family: unix.AF_NETLINK, kind: unix.SOCK_RAW, proto: unix.NETLINK_ROUTE, option: "CONFIG_NET"},
		{name: "Packet", family: unix.AF_PACKET, kind: unix.SOCK_RAW, option: "CONFIG_PACKET", modules: "af_packet"},
		{name: "CAN raw", family: unix.AF_CAN, kind: unix.SOCK_RAW, proto: unix.CAN_RAW, option: "CONFIG_CAN_RAW", modules: "can can_raw"},
		{name: "CAN BCM", family: unix.AF_CAN, kind: unix.SOCK_DGRAM, proto: unix.CAN_BCM, option: "CONFIG_CAN_BCM", modules: "can can_bcm"},
		{name: "CAN ISO-TP", family: unix.AF_CAN, kind: unix.SOCK_DGRAM, proto: unix.CAN_ISOTP, option: "CONFIG_CAN_ISOTP", modules: "can can_isotp"},
		{name: "CAN J1939", family: unix.AF_CAN, kind: unix.SOCK_DGRAM, proto: unix.CAN_J1939, option: "CONFIG_CAN_J1939", modules: "can can_j1939"},
		{name: "ALG hash", family: unix.AF_ALG, kind: unix.SOCK_SEQPACKET, option: "CONFIG_CRYPTO_USER_API_HASH", modules: "af_alg algif_hash", check: alg("hash", "sha256")},
		{name: "ALG skcipher", family: unix.AF_ALG, kind: unix.SOCK_SEQPACKET, option: "CONFIG_CRYPTO_USER_API_SKCIPHER", modules: "af_alg algif_skcipher", check: alg("skcipher", "cbc(aes)")},
		{name: "ALG aead", family: unix.AF_ALG, kind: unix.SOCK_SEQPACKET, option: "CONFIG_CRYPTO_USER_API_AEAD", modules: "af_alg algif_aead gcm", check: alg("aead", "gcm(aes)")},
		{name: "ALG rng", family: unix.AF_ALG, kind: unix.SOCK_SEQPACKET, option: "CONFIG_CRYPTO_USER_API_RNG", modules: "af_alg algif_rng drbg", check: alg("rng", "stdrng")},
		{name: "vsock", family: unix.AF_VSOCK, kind: unix.SOCK_STREAM, option: "CONFIG_VSOCKETS", modules: "vsock"},
		{name: "vsock loopback", family: unix.AF_VSOCK, kind: unix.SOCK_STREAM, option: "CONFIG_VSOCKETS_LOOPBACK", modules: "vsock_loopback",
			check: func(fd int) error {
				return unix.Bind(fd, &unix.SockaddrVM{CID: unix.VMADDR_CID_LOCAL, Port: unix.VMADDR_PORT_ANY})
			}},
		{name: "TIPC", family: unix.AF_TIPC, kind: unix.SOCK_RDM, option: "CONFIG_TIPC", modules: "tipc"},
		{name: "Bluetooth HCI", family: unix.AF_BLUETOOTH, kind: unix.SOCK_RAW, proto: unix.BTPROTO_HCI, option: "CONFIG_BT", modules: "bluetooth"},
		{name: "Bluetooth L2CAP", family: unix.AF_BLUETOOTH, kind: unix.SOCK_SEQPACKET, proto: unix.BTPROTO_L2CAP, option: "CONFIG_BT_BREDR", modules: "bluetooth"},
		{name: "Bluetooth RFCOMM", family: unix.AF_BLUETOOTH, kind: unix.SOCK_STREAM, proto: unix.BTPROTO_RFCOMM, option: "CONFIG_BT_RFCOMM", modules: "rfcomm"},
		{name: "Bluetooth SCO", family: unix.AF_BLUETOOTH, kind: unix.SOCK_SEQPACKET, proto: unix.BTPROTO_SCO, option: "CONFIG_BT_BREDR", modules: "bluetooth"},
		{name: "RDS", family: unix.AF_RDS, kind: unix.SOCK_SEQPACKET, option: "CONFIG_RDS", modules: "rds"},
		{name: "QIPCRTR", family: unix.AF_QIPCRTR, kind: unix.SOCK_DGRAM, option: "CONFIG_QRTR", modules: "qrtr"},
	}
}

// ProbeFamilies creates (and where needed binds) one socket of every kind
// fieldgate uses and reports which the running kernel supports. It has no
// lasting effect: every probe socket is closed before it returns.
func ProbeFamilies() []FamilySupport {
	ps := probes()
	out := make([]FamilySupport, 0, len(ps))
	for _, p := range ps {
		s := FamilySupport{
			Name: p.name, Family: Family(p.family), Kind: Kind(p.kind), Proto: p.proto,
			KernelOption: p.option, Modules: p.modules,
		}
		fd, err := unix.Socket(p.family, p.kind|unix.SOCK_CLOEXEC, p.proto)
		if err != nil {
			s.Err = fmt.Errorf("socket(%v, %v, %d): %w", Family(p.family), Kind(p.kind), p.proto, err)
		} else {
			if p.check != nil {
				if err := p.check(fd); err != nil {
					s.Err = fmt.Errorf("%s: bind: %w", p.name, err)
				}
			}
			unix.Close(fd)
		}
		s.Supported = s.Err == nil
		out = append(out, s)
	}
	return out
}

// Capability numbers from linux/capability.h.
const (
	CapNetAdmin = 12
	CapNetRaw   = 13
)

// HasCapability reports whether the calling process has capability c in
// its effective set.
func HasCapability(c int) (bool, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false, fmt.Errorf("capget: %w", err)
	}
	if c < 0 || c >= 64 {
		return false, errors.New("capability number out of range")
	}
	return data[c/32].Effective&(1<<(uint(c)%32)) != 0, nil
}
