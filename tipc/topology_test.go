package tipc

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

func words(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

func TestSubscriptionMarshal(t *testing.T) {
	for _, tc := range []struct {
		name string
		sub  Subscription
		want []byte
	}{
		{"ports forever", Subscription{Range: ServiceRange{1000, 10, 20}},
			append(words(1000, 10, 20, 0xFFFFFFFF, 1), 0, 0, 0, 0, 0, 0, 0, 0)},
		{"service with timeout and handle", Subscription{Range: ServiceRange{4242, 0, 0xFFFFFFFF}, PerService: true, Timeout: 1500 * time.Millisecond, Handle: [8]byte{'f', 'g', 1, 2, 3, 4, 5, 6}},
			append(words(4242, 0, 0xFFFFFFFF, 1500, 2), 'f', 'g', 1, 2, 3, 4, 5, 6)},
	} {
		b, err := tc.sub.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !bytes.Equal(b, tc.want) {
			t.Fatalf("%s: % x\nwant % x", tc.name, b, tc.want)
		}
		var back Subscription
		if err := back.UnmarshalBinary(b); err != nil || back != tc.sub {
			t.Fatalf("%s: round trip %+v, %v", tc.name, back, err)
		}
		// A cancel carries the same subscription with TIPC_SUB_CANCEL.
		c, _ := tc.sub.appendSubscr(nil, filterCancel)
		if got := binary.BigEndian.Uint32(c[16:]); got != tc.sub.filter()|4 {
			t.Fatalf("%s: cancel filter %#x", tc.name, got)
		}
		// Host byte order (little-endian here) decodes to the same value.
		le := make([]byte, len(b))
		for i := 0; i < 20; i += 4 {
			binary.LittleEndian.PutUint32(le[i:], binary.BigEndian.Uint32(b[i:]))
		}
		copy(le[20:], b[20:])
		if err := back.UnmarshalBinary(le); err != nil || back != tc.sub {
			t.Fatalf("%s: little-endian % x: %+v, %v", tc.name, le, back, err)
		}
	}
}

func TestSubscriptionErrors(t *testing.T) {
	for _, tc := range []struct {
		sub  Subscription
		want string
	}{
		{Subscription{Range: ServiceRange{1000, 20, 10}}, "lower 20 is above upper 10"},
		{Subscription{Range: ServiceRange{1000, 0, 1}, Timeout: time.Microsecond}, "timeout 1µs out of range"},
		{Subscription{Range: ServiceRange{1000, 0, 1}, Timeout: -time.Second}, "out of range"},
		{Subscription{Range: ServiceRange{1000, 0, 1}, Timeout: 5000 * time.Hour}, "out of range"},
	} {
		_, err := tc.sub.MarshalBinary()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%+v: error %v, want %q", tc.sub, err, tc.want)
		}
	}
	var s Subscription
	for _, tc := range []struct {
		b    []byte
		want string
	}{
		{make([]byte, 27), "27 bytes, want 28"},
		{append(words(1, 2, 3, 4, 0), make([]byte, 8)...), "filter 0x0"},
		{append(words(1, 2, 3, 4, 3), make([]byte, 8)...), "filter 0x3"},
		{append(words(1, 2, 3, 4, 0x81), make([]byte, 8)...), "filter 0x81"},
		{append(words(1, 3, 2, 4, 1), make([]byte, 8)...), "lower 3 is above upper 2"},
		{append(words(1, 2, 3, 0, 1), make([]byte, 8)...), "timeout 0 ms"},
	} {
		if err := s.UnmarshalBinary(tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("% x: error %v, want %q", tc.b, err, tc.want)
		}
	}
}

func eventBytes(kind, lower, upper, ref, node uint32, sub Subscription) []byte {
	s, _ := sub.MarshalBinary()
	return append(words(kind, lower, upper, ref, node), s...)
}

func TestEventUnmarshal(t *testing.T) {
	sub := Subscription{Range: ServiceRange{1000, 0, 100}, Handle: [8]byte{9}}
	var e Event
	if err := e.UnmarshalBinary(eventBytes(1, 10, 20, 0x1234, 0x1001001, sub)); err != nil {
		t.Fatal(err)
	}
	want := Event{Kind: Published, Found: ServiceRange{1000, 10, 20}, Port: SocketID{Node: 0x1001001, Ref: 0x1234}, Subscription: sub}
	if e != want {
		t.Fatalf("event %+v\nwant  %+v", e, want)
	}
	if s := e.String(); s != "published {1000,10,20} by <16781313:4660>" {
		t.Fatalf("String %q", s)
	}
	b, err := e.MarshalBinary()
	if err != nil || !bytes.Equal(b, eventBytes(1, 10, 20, 0x1234, 0x1001001, sub)) {
		t.Fatalf("marshal % x, %v", b, err)
	}
	// A publication wider than the subscription overlaps it: accepted.
	if err := e.UnmarshalBinary(eventBytes(2, 50, 500, 1, 2, sub)); err != nil || e.Kind != Withdrawn || e.Found.Upper != 500 {
		t.Fatalf("overlapping withdrawal: %+v, %v", e, err)
	}
	// Timeout events carry no range of interest.
	if err := e.UnmarshalBinary(eventBytes(3, 0, 0, 0, 0, sub)); err != nil || e.Kind != Timeout || e.String() != "timeout of subscription {1000,0,100}" {
		t.Fatalf("timeout: %+v %q, %v", e, e.String(), err)
	}
	for _, tc := range []struct {
		b    []byte
		want string
	}{
		{make([]byte, 47), "47 bytes, want 48"},
		{make([]byte, 49), "49 bytes, want 48"},
		{eventBytes(0, 10, 20, 1, 2, sub), "unknown event 0"},
		{eventBytes(4, 10, 20, 1, 2, sub), "unknown event 4"},
		{eventBytes(1, 20, 10, 1, 2, sub), "does not overlap"},
		{eventBytes(1, 101, 200, 1, 2, sub), "does not overlap"},
		{append(words(1, 10, 20, 1, 2), append(words(1000, 0, 100, 0xFFFFFFFF, 0), make([]byte, 8)...)...), "filter 0"},
	} {
		before := e
		if err := e.UnmarshalBinary(tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("% x: error %v, want %q", tc.b, err, tc.want)
		}
		if e != before {
			t.Fatalf("failed decode changed the event: %+v", e)
		}
	}
}

func TestStrings(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{ServiceRange{1000, 1, 9}.String(), "{1000,1,9}"},
		{Service{1000, 5}.String(), "{1000,5}"},
		{SocketID{Node: 1, Ref: 2}.String(), "<1:2>"},
		{ClusterScope.String(), "cluster"},
		{NodeScope.String(), "node"},
		{Scope(7).String(), "scope(7)"},
		{Withdrawn.String(), "withdrawn"},
		{EventKind(9).String(), "event(9)"},
		{Addr{Value: ServiceRange{64, 0, 0}}.String(), "{64,0,0}"},
		{Addr{}.String(), "<nil>"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if !(ServiceRange{1, 5, 9}).Contains(5) || (ServiceRange{1, 5, 9}).Contains(10) {
		t.Error("Contains")
	}
}
