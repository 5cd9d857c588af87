package cli

import (
	"testing"
	"time"
)

// TestTimestampFormat checks candump's padded and the isotp tools'
// unpadded timestamps, and the delta and zero modes' reference.
func TestTimestampFormat(t *testing.T) {
	type step struct{ sec, usec int64 }
	steps := []step{{1700000000, 900000}, {1700000001, 100000}, {1700000003, 50}}
	for _, tc := range []struct {
		f    timestampFormat
		want []string
	}{
		{timestampFormat{mode: 'a', secWidth: 10, deltaWidth: 3}, []string{"(1700000000.900000) ", "(1700000001.100000) ", "(1700000003.000050) "}},
		{timestampFormat{mode: 'd', secWidth: 10, deltaWidth: 3}, []string{"(000.000000) ", "(000.200000) ", "(001.900050) "}},
		{timestampFormat{mode: 'z', secWidth: 10, deltaWidth: 3}, []string{"(000.000000) ", "(000.200000) ", "(002.100050) "}},
		{timestampFormat{mode: 'd'}, []string{"(0.000000) ", "(0.200000) ", "(1.900050) "}},
		{timestampFormat{mode: 'z'}, []string{"(0.000000) ", "(0.200000) ", "(2.100050) "}},
		{timestampFormat{}, []string{"", "", ""}},
	} {
		for i, s := range steps {
			if got := string(tc.f.append(nil, s.sec, s.usec)); got != tc.want[i] {
				t.Errorf("mode %q widths %d/%d step %d: %q, want %q", tc.f.mode, tc.f.secWidth, tc.f.deltaWidth, i, got, tc.want[i])
			}
		}
	}
	a := timestampFormat{mode: 'a', secWidth: 10}
	if got := string(a.appendTime(nil, time.Time{})); got != "(0000000000.000000) " {
		t.Errorf("zero time: %q", got)
	}
	// A clock that steps back prints a zero delta, as candump does.
	d := timestampFormat{mode: 'd'}
	d.append(nil, 100, 0)
	if got := string(d.append(nil, 99, 0)); got != "(0.000000) " {
		t.Errorf("backwards: %q", got)
	}
}
