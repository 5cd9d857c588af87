//go:build linux

package socketcand

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/frame"
)

// sysCounter reads one of lo's counters from sysfs.
func sysCounter(t *testing.T, name string) uint64 {
	t.Helper()
	b, err := os.ReadFile("/sys/class/net/lo/statistics/" + name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// parseStat parses "< stat rb rp tb tp >".
func parseStat(t *testing.T, m string) [4]uint64 {
	t.Helper()
	f := strings.Fields(m)
	if len(f) != 7 || f[0] != "<" || f[1] != "stat" || f[6] != ">" {
		t.Fatalf("stat message %q", m)
	}
	var v [4]uint64
	for i := range v {
		var err error
		if v[i], err = strconv.ParseUint(f[2+i], 10, 64); err != nil {
			t.Fatalf("stat message %q: %v", m, err)
		}
	}
	return v
}

// TestStatInterface: by default "< stat >" reports the interface's
// counters, as socketcand does (here lo, whose counters this very test
// moves): each reported value lies between sysfs's before and after.
func TestStatInterface(t *testing.T) {
	s, env, _ := testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "lo", MaxClients: 2}, nil)
	c, r := dialBus(t, s, "lo", "controlmode")
	waitPeers(t, env, 1)
	names := [4]string{"rx_bytes", "rx_packets", "tx_bytes", "tx_packets"}
	var before [4]uint64
	for i, n := range names {
		before[i] = sysCounter(t, n)
	}
	io.WriteString(c, "< statistics 20 >")
	got := parseStat(t, readMsg(t, c, r))
	for i, n := range names {
		if after := sysCounter(t, n); got[i] < before[i] || got[i] > after {
			t.Errorf("%s = %d, want between %d and %d (sysfs)", n, got[i], before[i], after)
		}
	}
	exchange(t, c, r, "< statistics 0 >< echo >", "< echo >")
}

// TestStatClient: statistics: client reports what the endpoint sent to and
// took from this client; an interface that does not exist is refused with
// an error reply.
func TestStatClient(t *testing.T) {
	s, env, in := testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "vcan0", MaxClients: 2, Statistics: StatClient}, nil)
	c, r := dial(t, s, "rawmode")
	waitPeers(t, env, 1)
	io.WriteString(c, "< send 123 3 11 22 33 >< send 124 1 44 >")
	<-in
	<-in
	if n, err := s.Send(context.Background(), []frame.Frame{{ID: 0x10, Type: frame.CAN, Len: 5}, {ID: 0x11, Type: frame.CAN, Len: 2}, {ID: 0x12, Type: frame.CAN}}); n != 3 || err != nil {
		t.Fatalf("Send: %d %v", n, err)
	}
	for range 3 {
		readMsg(t, c, r)
	}
	exchange(t, c, r, "< controlmode >", "< ok >")
	io.WriteString(c, "< statistics 10 >")
	if got := parseStat(t, readMsg(t, c, r)); got != [4]uint64{7, 3, 4, 2} {
		t.Errorf("stat %v, want [7 3 4 2] (7 bytes in 3 frames to the client, 4 in 2 from it)", got)
	}

	s2, _, _ := testServerWith(t, &Config{Listen: "127.0.0.1:0", Bus: "nosuch0", MaxClients: 2}, nil)
	c2, r2 := dialBus(t, s2, "nosuch0", "controlmode")
	exchange(t, c2, r2, "< statistics 10 >", "< error statistics: cannot read the counters of nosuch0 >")
}
