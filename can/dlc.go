package can

var dlcToLen = [16]uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64}

// DLCToLen returns the CAN FD payload length of a data length code 0..15
// (can_fd_dlc2len): 0..8 map to themselves, 9..15 to 12, 16, 20, 24, 32,
// 48, 64. Only the low 4 bits of dlc are used.
func DLCToLen(dlc uint8) int { return int(dlcToLen[dlc&0xF]) }

// LenToDLC returns the smallest data length code whose CAN FD payload holds
// n bytes (can_fd_len2dlc); n > 64 gives 15.
func LenToDLC(n int) uint8 {
	switch {
	case n <= 8:
		if n < 0 {
			return 0
		}
		return uint8(n)
	case n <= 12:
		return 9
	case n <= 16:
		return 10
	case n <= 20:
		return 11
	case n <= 24:
		return 12
	case n <= 32:
		return 13
	case n <= 48:
		return 14
	default:
		return 15
	}
}

// ValidFDLen reports whether n is a payload length a CAN FD frame can have
// on the bus (0..8, 12, 16, 20, 24, 32, 48, 64). Shorter payloads are padded
// by the controller to the next valid length.
func ValidFDLen(n int) bool { return n >= 0 && n <= FDMaxLen && DLCToLen(LenToDLC(n)) == n }
