package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fieldgate/fieldgate/can"
)

type fakeACDConn struct {
	bound []uint8
	sent  []can.J1939Addr
	fail  error
}

func (f *fakeACDConn) Rebind(l can.J1939Addr) error {
	f.bound = append(f.bound, l.Addr)
	return nil
}

func (f *fakeACDConn) WriteTo(ctx context.Context, data []byte, dst can.J1939Addr) error {
	if f.fail != nil {
		err := f.fail
		f.fail = nil
		return err
	}
	f.sent = append(f.sent, dst)
	return nil
}

func newTestACD(t *testing.T, name uint64, ranges string) (*acd, *fakeACDConn) {
	t.Helper()
	f := &fakeACDConn{}
	a := &acd{name: name, current: acdIdle, bound: acdIdle, prog: "j1939acd", stderr: &bytes.Buffer{}, conn: f}
	if n, err := a.parseRange(ranges); err != nil || n == 0 {
		t.Fatalf("range %q: %d %v", ranges, n, err)
	}
	return a, f
}

func TestACDRangeAndChoice(t *testing.T) {
	a, _ := newTestACD(t, 0x5000, "0x80-0x82;0x90,10")
	for _, j := range []int{0x80, 0x81, 0x82, 0x90, 10} {
		if !a.table[j].use {
			t.Fatalf("%#x not in range", j)
		}
	}
	if _, err := a.parseRange("x"); err == nil {
		t.Fatal("bad range accepted")
	}
	if got := a.chooseNewSA(acdIdle); got != 10 {
		t.Fatalf("first free: %#x", got)
	}
	a.table[10].name = 0x1000 // higher priority (lower NAME)
	a.table[0x80].name = 0x9000
	if got := a.chooseNewSA(10); got != 0x81 {
		t.Fatalf("after losing 10: %#x", got)
	}
	for _, j := range []int{0x81, 0x82, 0x90} {
		a.table[j].name = 0x1000
	}
	// No free address: contest the next one held by a lower priority.
	if got := a.chooseNewSA(10); got != 0x80 {
		t.Fatalf("contest: %#x", got)
	}
	a.table[0x80].name = 0x1000
	if got := a.chooseNewSA(10); got != acdIdle {
		t.Fatalf("nothing left: %#x", got)
	}
}

// TestACDCollision: a claim of our address by a NAME of higher priority
// moves us to the next free address; one of lower priority is answered
// by claiming again.
func TestACDCollision(t *testing.T) {
	a, f := newTestACD(t, 0x5000, "0x80-0x81")
	a.state = acdStateOperational
	ctx := context.Background()
	retry := func(err error) error { return err }
	if err := a.claim(ctx, 0x80); err != nil || a.current != 0x80 {
		t.Fatalf("claim: %v %#x", err, a.current)
	}
	msg := func(sa uint8, name uint64) *acdMsg {
		return &acdMsg{pgn: can.J1939PGNClaim, sa: sa, name: name, n: 8}
	}
	if done, err := a.handle(ctx, msg(0x80, 0x9000), retry); done || err != nil || a.current != 0x80 || f.bound[len(f.bound)-1] != 0x80 {
		t.Fatalf("won: %v %v %#x %v", done, err, a.current, f.bound)
	}
	if done, err := a.handle(ctx, msg(0x80, 0x1000), retry); done || err != nil || a.current != 0x81 {
		t.Fatalf("lost: %v %v %#x", done, err, a.current)
	}
	if done, _ := a.handle(ctx, msg(0x81, 0x2000), retry); !done || a.current != acdIdle {
		t.Fatalf("no address left: %v %#x", done, a.current)
	}
	// A request for address claims is answered.
	a, f = newTestACD(t, 0x5000, "0x80")
	a.state = acdStateOperational
	a.claim(ctx, 0x80)
	n := len(f.sent)
	a.handle(ctx, &acdMsg{pgn: can.J1939PGNReq, n: 3, data: [16]byte{0x00, 0xEE, 0x00}}, retry)
	if len(f.sent) != n+1 || f.sent[n].PGN != can.J1939PGNClaim {
		t.Fatalf("request not answered: %v", f.sent)
	}
	// Commanded address.
	cmd := &acdMsg{pgn: acdPGNCommanded, n: 9, data: [16]byte{0x00, 0x50, 0, 0, 0, 0, 0, 0, 0x42}}
	a.handle(ctx, cmd, retry)
	if a.current != 0x42 {
		t.Fatalf("commanded: %#x", a.current)
	}
	// ENOBUFS is retried, other errors end acd.
	f.fail = syscall.ENOBUFS
	if err := a.claim(ctx, 0x80); err == nil {
		t.Fatal("no error")
	}
}

func TestACDStatusAndCache(t *testing.T) {
	a, _ := newTestACD(t, 0x5000, "0x80-0x81")
	a.sawClaim(0x80, 0x5000)
	a.sawClaim(0x10, 0x7777)
	var b bytes.Buffer
	a.status(&b)
	if want := "10: - 0000000000007777\n80: * 0000000000005000\n81: + -\n"; b.String() != want {
		t.Fatalf("status %q", b.String())
	}
	p := filepath.Join(t.TempDir(), "x.jacd")
	if err := acdSaveCache(p, 0x81); err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(p)
	if !strings.HasPrefix(string(body), "# saved on ") || !strings.HasSuffix(string(body), "\n\n\n0x81\n") {
		t.Fatalf("cache %q", body)
	}
	if sa, ok, err := acdRestoreCache(p); err != nil || !ok || sa != 0x81 {
		t.Fatalf("restore %v %v %v", sa, ok, err)
	}
	if _, ok, err := acdRestoreCache(filepath.Join(t.TempDir(), "none")); ok || err != nil {
		t.Fatal("missing cache")
	}
}
