package udp

import (
	"bytes"
	"testing"
)

// TestOldSessionNotReplayable: a sender that restarts within the second
// it started in gets a session with the same time part. The receiver must
// still never go back to a session it has left: before, a captured
// datagram of the old session was accepted again (equal time counts as
// "no earlier"), which reset the replay window, and the next datagram of
// the new session did the same, so an attacker alternating captures of
// both could replay every one of them without end.
func TestOldSessionNotReplayable(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	state := func() *authState {
		a, err := newSealer(key, "go", 1400)
		if err != nil {
			t.Fatal(err)
		}
		o, err := newSealer(key, "go", 1400)
		if err != nil {
			t.Fatal(err)
		}
		return newAuthState(a, o, 64)
	}
	old, restarted, rx := state(), state(), state()
	restarted.session = restarted.session&^0xFFFFFFFF | old.session&0xFFFFFFFF // same start second
	if restarted.session == old.session {
		restarted.session ^= 1 << 40
	}
	plain := []byte{2, 0, 0, 0, 0}
	seal := func(s *authState) []byte { return s.seal(nil, plain) }
	o1, o2 := seal(old), seal(old)
	n1, n2 := seal(restarted), seal(restarted)
	steps := []struct {
		name string
		d    []byte
		ok   bool
	}{
		{"old 1", o1, true},
		{"old 2", o2, true},
		{"new 1", n1, true}, // the restarted sender
		{"old 1 again", o1, false},
		{"new 1 again", n1, false},
		{"old 2 again", o2, false},
		{"new 2", n2, true},
		{"new 1 again, later", n1, false},
	}
	for _, s := range steps {
		_, err := rx.open(nil, s.d)
		if (err == nil) != s.ok {
			t.Errorf("%s: accepted %v, want %v (err %v)", s.name, err == nil, s.ok, err)
		}
	}
}
