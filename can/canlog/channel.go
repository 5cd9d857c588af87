package canlog

import "strconv"

// Channel returns the 1-based channel number of an interface name as
// python-can numbers it: trailing digits N give N+1, no digits give 1.
func Channel(iface string) int {
	i := len(iface)
	for i > 0 && iface[i-1] >= '0' && iface[i-1] <= '9' {
		i--
	}
	if i == len(iface) || len(iface)-i > 6 {
		return 1
	}
	n, _ := strconv.Atoi(iface[i:])
	return n + 1
}

// ifaces caches the names channels are read back as, so readers do not
// allocate one per record.
type ifaces map[int]string

// name returns "can" and ch-1 ("can0" for channel 1; channel 0, which
// python-can never writes, is "can0" too).
func (m *ifaces) name(ch int) string {
	if *m == nil {
		*m = ifaces{}
	}
	if s, ok := (*m)[ch]; ok {
		return s
	}
	s := "can" + strconv.Itoa(max(ch-1, 0))
	(*m)[ch] = s
	return s
}
