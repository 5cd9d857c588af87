package cli

import (
	"context"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/fieldgate/fieldgate/can"
)

func genVerbose(t *testing.T, args ...string) string {
	t.Helper()
	o := genOptions{gap: 200, burst: 1}
	ops, err := o.optSet().parse(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	n := o.count
	g := newGenState(&o)
	var b []byte
	for range n {
		g.next()
		b = appendVerbose(b, ops[0], &g.frame, g.fd, o.verbose)
		g.advance()
	}
	return string(b)
}

// TestGenVerboseVsCangen: cangen 2020.11's -v output in the rig for the
// same options.
func TestGenVerboseVsCangen(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-I", "i", "-L", "i", "-D", "i", "-n", "10", "-v", "vcan0"}, `  vcan0  000#00
  vcan0  001#01
  vcan0  002#02.00
  vcan0  003#03.00.00
  vcan0  004#04.00.00.00
  vcan0  005#05.00.00.00.00
  vcan0  006#06.00.00.00.00.00
  vcan0  007#07.00.00.00.00.00.00
  vcan0  008#08.00.00.00.00.00.00.00
  vcan0  009#09
`},
		{[]string{"-f", "-b", "-I", "1", "-L", "i", "-D", "i", "-n", "17", "-v", "vcan0"}, `  vcan0  001##1.00
  vcan0  001##1.01
  vcan0  001##1.02.00
  vcan0  001##1.03.00.00
  vcan0  001##1.04.00.00.00
  vcan0  001##1.05.00.00.00.00
  vcan0  001##1.06.00.00.00.00.00
  vcan0  001##1.07.00.00.00.00.00.00
  vcan0  001##1.08.00.00.00.00.00.00.00
  vcan0  001##1.09` + strings.Repeat(".00", 11) + `
  vcan0  001##1.0A` + strings.Repeat(".00", 15) + `
  vcan0  001##1.0B` + strings.Repeat(".00", 19) + `
  vcan0  001##1.0C` + strings.Repeat(".00", 23) + `
  vcan0  001##1.0D` + strings.Repeat(".00", 31) + `
  vcan0  001##1.0E` + strings.Repeat(".00", 47) + `
  vcan0  001##1.0F` + strings.Repeat(".00", 63) + `
  vcan0  001##1.10
`},
		{[]string{"-R", "-e", "-I", "i", "-L", "i", "-D", "i", "-n", "3", "-v", "vcan0"}, `  vcan0  00000000#R1
  vcan0  00000001#R1
  vcan0  00000002#R2
`},
		{[]string{"-f", "-E", "-I", "1", "-L", "i", "-D", "i", "-n", "12", "-vvv", "vcan0"}, `  vcan0  001  [01]  00                        '.'
  vcan0  001  [01]  01                        '.'
  vcan0  001  [02]  02 00                     '..'
  vcan0  001  [03]  03 00 00                  '...'
  vcan0  001  [04]  04 00 00 00               '....'
  vcan0  001  [05]  05 00 00 00 00            '.....'
  vcan0  001  [06]  06 00 00 00 00 00         '......'
  vcan0  001  [07]  07 00 00 00 00 00 00      '.......'
  vcan0  001  [08]  08 00 00 00 00 00 00 00   '........'
  vcan0  001  [12]  09 00 00 00 00 00 00 00 00 00 00 00
  vcan0  001  [16]  0A 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
  vcan0  001  [20]  0B 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
`},
		{[]string{"-R", "-I", "i", "-L", "i", "-D", "i", "-n", "3", "-vv", "vcan0"}, `  vcan0  000   [1]  remote request
  vcan0  001   [1]  remote request
  vcan0  002   [2]  remote request
`},
		{[]string{"-D", "11223344DEADBEEF", "-L", "3", "-I", "7", "-n", "2", "-vvv", "vcan0"}, `  vcan0  007   [3]  11 22 33                  '."3'
  vcan0  007   [3]  11 22 33                  '."3'
`},
		{[]string{"-L", "12", "-I", "7", "-n", "2", "-D", "i", "-vvv", "vcan0"}, `  vcan0  007   [8]  00 00 00 00 00 00 00 00   '........'
  vcan0  007   [8]  01 00 00 00 00 00 00 00   '........'
`},
	}
	for _, tt := range tests {
		if got := genVerbose(t, tt.args...); got != tt.want {
			t.Errorf("%q: got\n%s\nwant\n%s", tt.args, got, tt.want)
		}
	}
}

// TestGenRandomShape: the random modes draw what cangen draws: classic
// lengths 8 for about half the frames, CAN FD lengths from the DLC table,
// FD payloads above 8 bytes repeat the first 8, -m mixes every kind.
func TestGenRandomShape(t *testing.T) {
	o := genOptions{seed: 1}
	g := newGenState(&o)
	eight := 0
	for range 4000 {
		g.next()
		if g.frame.Len > 8 || g.frame.ID > can.SFFMask {
			t.Fatalf("classic: %s", g.frame)
		}
		if g.frame.Len == 8 {
			eight++
		}
		g.advance()
	}
	if eight < 1800 || eight > 2700 {
		t.Errorf("length 8 in %d of 4000 frames, want about 2250", eight)
	}
	o = genOptions{seed: 2, fd: true, ext: true}
	g = newGenState(&o)
	for range 1000 {
		g.next()
		f := &g.frame
		if !can.ValidFDLen(int(f.Len)) || !f.Extended || f.Flags != can.FDF {
			t.Fatalf("fd: %s", f)
		}
		for i := 8; i < int(f.Len); i++ {
			if f.Data[i] != f.Data[i%8] {
				t.Fatalf("fd payload does not repeat: %s", f)
			}
		}
		g.advance()
	}
	o = genOptions{seed: 3, mix: true, fd: true}
	g = newGenState(&o)
	kinds := map[string]int{}
	for range 1000 {
		g.next()
		f := &g.frame
		switch {
		case f.Remote:
			kinds["rtr"]++
		case g.fd && f.Flags&can.BRS != 0:
			kinds["brs"]++
		case g.fd:
			kinds["fd"]++
		case f.Extended:
			kinds["eff"]++
		default:
			kinds["sff"]++
		}
		if f.Remote && g.fd {
			t.Fatal("remote CAN FD frame")
		}
		g.advance()
	}
	for _, k := range []string{"rtr", "brs", "fd", "eff", "sff"} {
		if kinds[k] < 30 {
			t.Errorf("-m: %d %s frames of 1000 (%v)", kinds[k], k, kinds)
		}
	}
}

// fakeWriter takes frames, failing with the errors in errs first.
type fakeWriter struct {
	errs    []error
	sent    int
	waited  int
	tryCall int
}

func (w *fakeWriter) TryWriteBatch(frames []can.FDFrame) (int, error) {
	w.tryCall++
	if len(w.errs) > 0 {
		err := w.errs[0]
		w.errs = w.errs[1:]
		return 0, err
	}
	w.sent += len(frames)
	return len(frames), nil
}

func (w *fakeWriter) WriteBatch(ctx context.Context, frames []can.FDFrame) (int, error) {
	w.waited++
	w.errs = nil
	w.sent += len(frames)
	return len(frames), nil
}

// TestGenWriteENOBUFS: a full interface queue fails the write (cangen's
// default), is counted and skipped with -i, and waited out with -p.
func TestGenWriteENOBUFS(t *testing.T) {
	frames := make([]can.FDFrame, 5)
	w := &fakeWriter{errs: []error{syscall.ENOBUFS}}
	if _, err := genWrite(context.Background(), w, &genOptions{}, frames); !errors.Is(err, syscall.ENOBUFS) {
		t.Fatalf("default: %v", err)
	}
	w = &fakeWriter{errs: []error{syscall.ENOBUFS, syscall.ENOBUFS}}
	skipped, err := genWrite(context.Background(), w, &genOptions{ignore: true}, frames)
	if err != nil || skipped != 2 || w.sent != 3 {
		t.Fatalf("-i: skipped %d sent %d: %v", skipped, w.sent, err)
	}
	w = &fakeWriter{errs: []error{syscall.EAGAIN}}
	if skipped, err := genWrite(context.Background(), w, &genOptions{}, frames); err != nil || skipped != 0 || w.sent != 5 || w.waited != 1 {
		t.Fatalf("EAGAIN: skipped %d sent %d waited %d: %v", skipped, w.sent, w.waited, err)
	}
	w = &fakeWriter{}
	if _, err := genWrite(context.Background(), w, &genOptions{pollTimeout: 10}, frames); err != nil || w.sent != 5 || w.tryCall != 0 {
		t.Fatalf("-p: sent %d: %v", w.sent, err)
	}
}
