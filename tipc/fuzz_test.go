package tipc

import "testing"

// FuzzEvent feeds arbitrary topology server messages to the decoder: it
// must never panic, and whatever it accepts must encode and decode back to
// the same value (every field is kept; the encoding is network order).
func FuzzEvent(f *testing.F) {
	sub := Subscription{Range: ServiceRange{1000, 0, 100}}
	f.Add(eventBytes(1, 10, 20, 7, 8, sub))
	f.Add(eventBytes(3, 0, 0, 0, 0, Subscription{Range: ServiceRange{64, 1, 1}, PerService: true}))
	f.Add(make([]byte, 48))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Event
		if err := e.UnmarshalBinary(b); err != nil {
			return
		}
		out, err := e.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", e, err)
		}
		var back Event
		if err := back.UnmarshalBinary(out); err != nil || back != e {
			t.Fatalf("round trip %+v -> % x -> %+v, %v", e, out, back, err)
		}
	})
}

// FuzzSubscription does the same for struct tipc_subscr.
func FuzzSubscription(f *testing.F) {
	b, _ := (&Subscription{Range: ServiceRange{1000, 10, 20}}).MarshalBinary()
	f.Add(b)
	f.Add(make([]byte, 28))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Subscription
		if err := s.UnmarshalBinary(b); err != nil {
			return
		}
		out, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", s, err)
		}
		var back Subscription
		if err := back.UnmarshalBinary(out); err != nil || back != s {
			t.Fatalf("round trip %+v -> % x -> %+v, %v", s, out, back, err)
		}
	})
}
