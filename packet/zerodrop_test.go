package packet

import (
	"sort"
	"testing"
)

// rateRun is one capture window of BenchmarkCapture for one reader: the
// rate offered, the rate the senders achieved and whether the reader got
// every frame sent (no kernel drop, no other loss).
type rateRun struct {
	offered, achieved float64
	lossless          bool
}

// zeroDropRate is a reader's zero-drop rate over its runs: the highest
// achieved rate among the runs offered below the lowest offered rate at
// which it lost a frame, so that every run up to it was lossless. A
// lossless run above a lossy one does not count (a reader that lost frames
// at 400k and none at 600k has not shown that it keeps up at 600k: its
// buffer or a quiet moment of the machine hid the shortfall). firstLoss is
// that lowest lossy offered rate, 0 if no run lost a frame. runs may come
// in any order; a reader whose lowest run lost frames has rate 0.
func zeroDropRate(runs []rateRun) (zero, firstLoss float64) {
	s := append([]rateRun(nil), runs...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].offered < s[j].offered })
	for _, r := range s {
		if !r.lossless {
			return zero, r.offered
		}
		zero = max(zero, r.achieved)
	}
	return zero, 0
}

func TestZeroDropRateStopsAtFirstLoss(t *testing.T) {
	for _, c := range []struct {
		name            string
		runs            []rateRun
		zero, firstLoss float64
	}{
		{"all lossless", []rateRun{{50e3, 49e3, true}, {100e3, 98e3, true}, {200e3, 150e3, true}}, 150e3, 0},
		// The case of issue 18: ring lost at 400k and 500k, then carried
		// the 600k window (achieving 401k). Its rate is the 300k run's.
		{"lossless after lossy", []rateRun{{300e3, 290e3, true}, {400e3, 380e3, false}, {500e3, 390e3, false}, {600e3, 401e3, true}}, 290e3, 400e3},
		{"order of runs does not matter", []rateRun{{600e3, 401e3, true}, {400e3, 380e3, false}, {300e3, 290e3, true}}, 290e3, 400e3},
		// A sender that fell behind: the best achieved rate of the
		// lossless prefix, not the last run's.
		{"achieved not monotone", []rateRun{{200e3, 199e3, true}, {300e3, 250e3, true}, {400e3, 240e3, true}, {500e3, 260e3, false}}, 250e3, 500e3},
		{"first run lossy", []rateRun{{50e3, 50e3, false}, {100e3, 100e3, true}}, 0, 50e3},
		{"no runs", nil, 0, 0},
	} {
		zero, first := zeroDropRate(c.runs)
		if zero != c.zero || first != c.firstLoss {
			t.Errorf("%s: zeroDropRate = %.0f, first loss %.0f; want %.0f, %.0f", c.name, zero, first, c.zero, c.firstLoss)
		}
	}
}
