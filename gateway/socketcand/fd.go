package socketcand

import (
	"fmt"
	"strconv"
)

// ParseSendRTR parses the arguments of "sendrtr can_id can_dlc": a remote
// request without data. It returns the can_id (without the RTR flag) and
// the DLC.
func ParseSendRTR(args [][]byte) (id uint32, dlc int, err error) {
	if len(args) != 2 {
		return 0, 0, fmt.Errorf("%w: sendrtr needs can_id and can_dlc, got %d fields", ErrSyntax, len(args))
	}
	if id, err = ParseID(args[0]); err != nil {
		return 0, 0, err
	}
	v, err := strconv.ParseUint(string(args[1]), 10, 8)
	if err != nil || v > 8 {
		return 0, 0, fmt.Errorf("%w: sendrtr dlc %q (0..8)", ErrSyntax, args[1])
	}
	return id, int(v), nil
}

// validFDLen reports the payload lengths a CAN FD frame can have.
func validFDLen(n int) bool {
	return n <= 8 || n == 12 || n == 16 || n == 20 || n == 24 || n == 32 || n == 48 || n == 64
}

// ParseFDSend parses the arguments of raw mode's "fdsend can_id flags len
// data..." (socketcand 0.6.1 and later): flags in hex (CANFD_BRS 0x01,
// CANFD_ESI 0x02), len in decimal (a CAN FD length: 0..8, 12, 16, 20, 24,
// 32, 48, 64), then len hex bytes. It writes the data into data (at least
// 64 bytes) and returns the can_id, flags and length.
func ParseFDSend(args [][]byte, data []byte) (id uint32, flags uint8, n int, err error) {
	if len(args) < 3 {
		return 0, 0, 0, fmt.Errorf("%w: fdsend needs can_id flags len [data]", ErrSyntax)
	}
	if id, err = ParseID(args[0]); err != nil {
		return 0, 0, 0, err
	}
	fl, err := strconv.ParseUint(string(args[1]), 16, 8)
	if err != nil || fl&^0x3 != 0 {
		return 0, 0, 0, fmt.Errorf("%w: fdsend flags %q (hex: 1 BRS, 2 ESI)", ErrSyntax, args[1])
	}
	l, err := strconv.ParseUint(string(args[2]), 10, 8)
	if err != nil || !validFDLen(int(l)) {
		return 0, 0, 0, fmt.Errorf("%w: fdsend len %q (0..8, 12, 16, 20, 24, 32, 48, 64)", ErrSyntax, args[2])
	}
	if len(args)-3 != int(l) || len(data) < int(l) {
		return 0, 0, 0, fmt.Errorf("%w: fdsend len %d but %d data bytes", ErrSyntax, l, len(args)-3)
	}
	for i, a := range args[3:] {
		if len(a) == 0 || len(a) > 2 {
			return 0, 0, 0, fmt.Errorf("%w: data byte %q", ErrSyntax, a)
		}
		v, err := strconv.ParseUint(string(a), 16, 8)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("%w: data byte %q", ErrSyntax, a)
		}
		data[i] = byte(v)
	}
	return id, uint8(fl), int(l), nil
}

// AppendRTRFrame appends a raw-mode remote request "< rtr ID SEC.USEC DLC >".
func AppendRTRFrame(b []byte, id uint32, sec, usec int64, dlc int) []byte {
	b = append(b, "< rtr "...)
	b = appendID(b, id)
	b = append(b, ' ')
	b = appendTime(b, sec, usec)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(dlc), 10)
	return append(b, " >"...)
}

// AppendFDFrame appends a raw-mode CAN FD frame "< fdframe ID FLAGS
// SEC.USEC DATA >" (flags as two hex digits, data as contiguous hex), as
// socketcand sends frames of an interface with the CAN FD MTU.
func AppendFDFrame(b []byte, id uint32, flags uint8, sec, usec int64, data []byte) []byte {
	b = append(b, "< fdframe "...)
	b = appendID(b, id)
	b = append(b, ' ', hexUpper[flags>>4], hexUpper[flags&0xF], ' ')
	b = appendTime(b, sec, usec)
	b = append(b, ' ')
	for _, c := range data {
		b = append(b, hexUpper[c>>4], hexUpper[c&0xF])
	}
	return append(b, " >"...)
}
