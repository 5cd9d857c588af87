package core

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// python runs Debian's /usr/bin/python3 (the reference implementation these
// functions follow) and returns its stdout.
func python(t *testing.T, script string, args ...string) []byte {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skipf("reference %s not installed: %v", py, err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.Bytes())
	}
	return out
}

// Known answers from conformance.md and CPython's test_socket.
func TestInetAtonKnownAnswers(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"127.1", "7f000001"},
		{"1.2.3", "01020003"},
		{"0x7f.1", "7f000001"},
		{"2130706433", "7f000001"},
		{"0.0.0.0", "00000000"},
		{"255.255.255.255", "ffffffff"},
		{"017.1", "0f000001"},
		{"1.2.3.4 junk", "01020304"},
		{"0xffffffff", "ffffffff"},
	} {
		b, err := InetAton(c.in)
		if err != nil || hex.EncodeToString(b) != c.want {
			t.Errorf("InetAton(%q) = %x, %v; want %s", c.in, b, err, c.want)
		}
	}
	for _, in := range []string{"", "0x", "08", "1.2.3.4x", " 1.2.3.4", "1.2.3.256", "1.2.65536", "1.16777216",
		"1.2.3.4.5", "1..2", "1.2.3.", "4294967296", "0x100000000", "4294967296000", "a.b.c.d", "1.2.3.-4"} {
		if b, err := InetAton(in); err == nil || !errors.Is(err, ErrIllegalAddress) {
			t.Errorf("InetAton(%q) = %x, %v; want ErrIllegalAddress", in, b, err)
		}
	}
}

func TestInetNtoaPtonNtop(t *testing.T) {
	if s, err := InetNtoa([]byte{1, 2, 3, 4}); err != nil || s != "1.2.3.4" {
		t.Errorf("InetNtoa = %q, %v", s, err)
	}
	for _, n := range []int{0, 3, 5, 16} {
		if _, err := InetNtoa(make([]byte, n)); err == nil {
			t.Errorf("InetNtoa(%d bytes) succeeded", n)
		}
	}
	if _, err := InetPton(AF_CAN, "x"); !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Errorf("InetPton(AF_CAN): %v", err)
	}
	if _, err := InetNtop(AF_INET, []byte{1, 2, 3}); err == nil {
		t.Error("InetNtop(AF_INET, 3 bytes) succeeded")
	}
	if _, err := InetNtop(AF_INET6, make([]byte, 4)); err == nil {
		t.Error("InetNtop(AF_INET6, 4 bytes) succeeded")
	}
	for _, c := range []struct{ in, want string }{
		{"::2", "::2"}, {"::1.2.3.4", "::1.2.3.4"}, {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		{"1:0:0:2:0:0:0:3", "1:0:0:2::3"}, {"0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"},
		{"::ffff:0:1.2.3.4", "::ffff:0:102:304"}, {"0:0:0:0:0:ffff:0:0", "::ffff:0.0.0.0"},
		{"::0.0.1.0", "::100"}, {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
	} {
		b, err := InetPton(AF_INET6, c.in)
		if err != nil {
			t.Errorf("InetPton(%q): %v", c.in, err)
			continue
		}
		if s, _ := InetNtop(AF_INET6, b); s != c.want {
			t.Errorf("InetNtop(%q) = %q, want %q", c.in, s, c.want)
		}
	}
}

// TestInetDifferential compares InetAton, InetPton and InetNtop with
// CPython on glibc for a corpus of tricky inputs.
func TestInetDifferential(t *testing.T) {
	inputs := []string{"127.1", "1.2.3", "0x7f.1", "2130706433", "0", "00", "08", "0x", "0X1F.0x2", "1.2.3.4 junk",
		"1.2.3.4\tx", "1.2.3.4x", " 1.2.3.4", "1.2.3.256", "1.2.65536", "1.16777216", "1.2.3.4.5", "0x7F.0X1",
		"017.1", "", "1..2", "1.2.3.", "0xffffffff", "4294967295", "4294967296", "09.1", "0377.0377.0377.0377",
		"1.2.3.04", "01.2.3.4", "1.2.3.4 ", "255.255.255.255", "256.1.1.1", "0.0.0.0", "fe80::1%1",
		"1:2:3:4:5:6:7:8:9", "::1.2.3", "1::2::3", "::ffff:1.2.3.04", "12345::", "1:2:3:4:5:6:1.2.3.4",
		"1:2:3:4:5:6:7:1.2.3.4", ":1::", "1:::2", "::0x1", "::FFFF:1.2.3.4", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7",
		"::", "::1", "1::", "::2", "::1.2.3.4", "0:0:0:0:0:0:0:0", "1:0:1:0:1:0:1:0", "fe80::1:2:3:4",
		"2001:db8::0:1", "2001:DB8:0:0:1:0:0:1", "::ffff:0.0.0.0", "0::0:0", "a:b:c:d:e:f:0:0", "0:0:0:0:0:1:0:0"}
	js, _ := json.Marshal(inputs)
	script := `
import socket, json, sys
out = []
for s in json.loads(sys.argv[1]):
    r = {}
    for name, f in (("aton", lambda s: socket.inet_aton(s)), ("pton4", lambda s: socket.inet_pton(socket.AF_INET, s)),
                    ("pton6", lambda s: socket.inet_pton(socket.AF_INET6, s))):
        try: r[name] = f(s).hex()
        except OSError: r[name] = None
    if r["pton6"] is not None:
        r["ntop6"] = socket.inet_ntop(socket.AF_INET6, bytes.fromhex(r["pton6"]))
    out.append(r)
print(json.dumps(out))`
	var want []map[string]*string
	if err := json.Unmarshal(python(t, script, string(js)), &want); err != nil {
		t.Fatal(err)
	}
	str := func(b []byte, err error) *string {
		if err != nil {
			return nil
		}
		s := hex.EncodeToString(b)
		return &s
	}
	eq := func(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	show := func(p *string) string {
		if p == nil {
			return "error"
		}
		return *p
	}
	for i, in := range inputs {
		w := want[i]
		if got := str(InetAton(in)); !eq(got, w["aton"]) {
			t.Errorf("InetAton(%q) = %s, CPython %s", in, show(got), show(w["aton"]))
		}
		if got := str(InetPton(AF_INET, in)); !eq(got, w["pton4"]) {
			t.Errorf("InetPton(AF_INET, %q) = %s, CPython %s", in, show(got), show(w["pton4"]))
		}
		got6 := str(InetPton(AF_INET6, in))
		if !eq(got6, w["pton6"]) {
			t.Errorf("InetPton(AF_INET6, %q) = %s, CPython %s", in, show(got6), show(w["pton6"]))
		}
		if w["ntop6"] != nil {
			b, _ := hex.DecodeString(*w["pton6"])
			if s, err := InetNtop(AF_INET6, b); err != nil || s != *w["ntop6"] {
				t.Errorf("InetNtop(%s) = %q, CPython %q", *w["pton6"], s, *w["ntop6"])
			}
		}
	}
}

func TestByteOrder(t *testing.T) {
	if v, err := Htons(1); err != nil || v != 256 {
		t.Errorf("Htons(1) = %d, %v", v, err)
	}
	if v, err := Htonl(1); err != nil || v != 16777216 {
		t.Errorf("Htonl(1) = %d, %v", v, err)
	}
	if v, err := Ntohl(0x01020304); err != nil || v != 67305985 {
		t.Errorf("Ntohl = %d, %v", v, err)
	}
	if v, err := Ntohs(0xff00); err != nil || v != 0xff {
		t.Errorf("Ntohs = %d, %v", v, err)
	}
	if v, err := Htonl(65536); err != nil || v != 256 {
		t.Errorf("Htonl(65536) = %d, %v", v, err)
	}
	big := []int{0, 0}
	if strconv.IntSize == 64 {
		b32, b40 := uint64(1)<<32, uint64(1)<<40
		big = []int{int(b32), int(b40)}
	}
	for _, c := range []struct {
		f func(int) (int, error)
		v int
	}{{Htons, -1}, {Htons, 65536}, {Ntohs, 70000}, {Htonl, -1}, {Htonl, big[0]}, {Ntohl, big[1]}} {
		if c.v == 0 {
			continue
		}
		if _, err := c.f(c.v); !errors.Is(err, syscall.ERANGE) {
			t.Errorf("%d: err %v, want ERANGE (Python OverflowError)", c.v, err)
		}
	}
}

func TestCmsgLenSpace(t *testing.T) {
	if strconv.IntSize != 64 {
		t.Skip("the known answers are CPython's on 64-bit Linux")
	}
	for _, c := range []struct{ n, l, s int }{{0, 16, 16}, {1, 17, 24}, {8, 24, 24}, {9, 25, 32}, {4, 20, 24},
		{2147483623, 2147483639, 2147483640}} {
		l, err1 := CmsgLen(c.n)
		s, err2 := CmsgSpace(c.n)
		if err1 != nil || err2 != nil || l != c.l || s != c.s {
			t.Errorf("CmsgLen/Space(%d) = %d, %d (%v, %v); want %d, %d", c.n, l, s, err1, err2, c.l, c.s)
		}
	}
	if l, err := CmsgLen(2147483631); err != nil || l != 2147483647 {
		t.Errorf("CmsgLen(max) = %d, %v", l, err)
	}
	for _, n := range []int{-1, 2147483632, 2147483647} {
		if _, err := CmsgLen(n); !errors.Is(err, syscall.ERANGE) {
			t.Errorf("CmsgLen(%d): %v", n, err)
		}
	}
	for _, n := range []int{-1, 2147483624, 2147483631} {
		if _, err := CmsgSpace(n); !errors.Is(err, syscall.ERANGE) {
			t.Errorf("CmsgSpace(%d): %v", n, err)
		}
	}
}

var _ = strings.Contains
