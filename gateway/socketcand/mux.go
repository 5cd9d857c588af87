package socketcand

import (
	"fmt"
	"strconv"
)

// MaxMuxFrames bounds nframes of muxfilter: the mux mask plus up to 255
// content filters make the kernel's MAX_NFRAMES (256) BCM frames. (The
// socketcand protocol text says 257, which the kernel refuses with EINVAL.)
const MaxMuxFrames = 256

// MuxFilter is a parsed "muxfilter secs usecs can_id nframes data...":
// Frames[0] is the multiplex mask, Frames[1:] are the multiplex values with
// their content masks, 8 bytes each.
type MuxFilter struct {
	Sec, Usec uint64 // throttle interval
	ID        uint32 // Linux can_id, EFF flag for extended
	Frames    [][8]byte
}

// ParseMuxFilter parses the arguments of muxfilter. Data bytes are two hex
// digits each, as socketcand reads them (it reads fixed 3-character
// columns); nframes is 2..MaxMuxFrames and exactly nframes*8 bytes follow.
// frames is reused for the result when large enough.
func ParseMuxFilter(args [][]byte, frames [][8]byte) (MuxFilter, error) {
	var m MuxFilter
	if len(args) < 4 {
		return m, fmt.Errorf("%w: muxfilter needs secs usecs can_id nframes data...", ErrSyntax)
	}
	var err error
	if m.Sec, m.Usec, err = parseInterval(args[0], args[1]); err != nil {
		return m, err
	}
	if m.ID, err = ParseID(args[2]); err != nil {
		return m, err
	}
	n, err := strconv.ParseUint(string(args[3]), 10, 16)
	if err != nil || n < 2 || n > MaxMuxFrames {
		return m, fmt.Errorf("%w: muxfilter nframes %q (decimal, 2..%d: the mux mask and 1..%d filters)", ErrSyntax, args[3], MaxMuxFrames, MaxMuxFrames-1)
	}
	data := args[4:]
	if len(data) != int(n)*8 {
		return m, fmt.Errorf("%w: muxfilter nframes %d needs %d data bytes, got %d", ErrSyntax, n, n*8, len(data))
	}
	if cap(frames) >= int(n) {
		frames = frames[:n]
	} else {
		frames = make([][8]byte, n)
	}
	for i, a := range data {
		if len(a) != 2 {
			return m, fmt.Errorf("%w: muxfilter data byte %d %q (two hex digits)", ErrSyntax, i, a)
		}
		hi, ok1 := unhex(a[0])
		lo, ok2 := unhex(a[1])
		if !ok1 || !ok2 {
			return m, fmt.Errorf("%w: muxfilter data byte %d %q (two hex digits)", ErrSyntax, i, a)
		}
		frames[i/8][i%8] = hi<<4 | lo
	}
	m.Frames = frames
	return m, nil
}

// parseInterval parses a BCM "secs usecs" pair: decimal, usecs below one
// second, at most one day in all (the kernel's bcm_timeval limit is far
// larger; a day is plenty for a throttle and keeps durations exact).
func parseInterval(s, us []byte) (sec, usec uint64, err error) {
	if sec, err = ParseUint(s); err != nil {
		return 0, 0, err
	}
	if usec, err = ParseUint(us); err != nil {
		return 0, 0, err
	}
	if usec > 999999 || sec > 86400 {
		return 0, 0, fmt.Errorf("%w: interval %s s %s us (usecs < 1000000, secs <= 86400)", ErrSyntax, s, us)
	}
	return sec, usec, nil
}
