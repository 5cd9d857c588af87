package core

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pythonClass names the Python exception class a Go error stands for:
// *RangeError is OverflowError, *ValueError is ValueError, any other error
// OSError (socket.error, gaierror and herror are OSError subclasses).
func pythonClass(err error) string {
	var re *RangeError
	var ve *ValueError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &re):
		return "OverflowError"
	case errors.As(err, &ve):
		return "ValueError"
	}
	return "OSError"
}

// TestPythonErrorClasses makes the same bad calls in CPython and here and
// compares the class of the exception with the class of the error, then
// checks the errors.Is promises each error's documentation makes.
func TestPythonErrorClasses(t *testing.T) {
	out := python(t, `
import socket, json
def cls(f):
    try:
        f()
        return "ok"
    except Exception as e:
        return type(e).__name__
s = socket.socket()
r = {
    "inet_ntoa 3 bytes": cls(lambda: socket.inet_ntoa(b"abc")),
    "inet_ntoa 16 bytes": cls(lambda: socket.inet_ntoa(bytes(16))),
    "inet_ntop AF_INET 3 bytes": cls(lambda: socket.inet_ntop(socket.AF_INET, b"abc")),
    "inet_ntop AF_INET6 4 bytes": cls(lambda: socket.inet_ntop(socket.AF_INET6, b"abcd")),
    "inet_ntop AF_CAN": cls(lambda: socket.inet_ntop(socket.AF_CAN, b"abcd")),
    "inet_pton AF_CAN": cls(lambda: socket.inet_pton(socket.AF_CAN, "1.2.3.4")),
    "if_indextoname -1": cls(lambda: socket.if_indextoname(-1)),
    "if_indextoname 0": cls(lambda: socket.if_indextoname(0)),
    "settimeout -2": cls(lambda: s.settimeout(-2)),
    "settimeout None": cls(lambda: s.settimeout(None)),
    "settimeout 0": cls(lambda: s.settimeout(0)),
    "setdefaulttimeout -2": cls(lambda: socket.setdefaulttimeout(-2)),
    "create_server AF_INET dualstack": cls(lambda: socket.create_server(("127.0.0.1", 0), family=socket.AF_INET, dualstack_ipv6=True)),
    "htons -1": cls(lambda: socket.htons(-1)),
}
s.close()
socket.setdefaulttimeout(None)
print(json.dumps(r))`)
	var want map[string]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	s, err := NewSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer SetDefaultTimeout(NoTimeout)
	second := func(_ string, err error) error { return err }
	got := map[string]error{
		"inet_ntoa 3 bytes":          second(InetNtoa([]byte("abc"))),
		"inet_ntoa 16 bytes":         second(InetNtoa(make([]byte, 16))),
		"inet_ntop AF_INET 3 bytes":  second(InetNtop(AF_INET, []byte("abc"))),
		"inet_ntop AF_INET6 4 bytes": second(InetNtop(AF_INET6, []byte("abcd"))),
		"inet_ntop AF_CAN":           second(InetNtop(AF_CAN, []byte("abcd"))),
		"inet_pton AF_CAN": func() error {
			_, err := InetPton(AF_CAN, "1.2.3.4")
			return err
		}(),
		"if_indextoname -1":    second(IfIndexToName(-1)),
		"if_indextoname 0":     second(IfIndexToName(0)),
		"settimeout -2":        s.SetTimeout(-2 * time.Second),
		"settimeout None":      s.SetTimeout(NoTimeout),
		"settimeout 0":         s.SetTimeout(0),
		"setdefaulttimeout -2": SetDefaultTimeout(-2 * time.Second),
		"create_server AF_INET dualstack": func() error {
			ln, err := CreateServer("127.0.0.1:0", &ServerOptions{Family: AF_INET, DualStackIPv6: true})
			if err == nil {
				ln.Close()
			}
			return err
		}(),
		"htons -1": func() error {
			_, err := Htons(-1)
			return err
		}(),
	}
	if len(got) != len(want) {
		t.Fatalf("%d Go cases, %d Python cases", len(got), len(want))
	}
	for name, err := range got {
		if c := pythonClass(err); c != want[name] {
			t.Errorf("%s: Go %s (%v), CPython %s", name, c, err, want[name])
		}
	}

	// What the documentation promises besides the class.
	for _, c := range []struct {
		name   string
		target error
	}{
		{"inet_ntoa 3 bytes", unix.EINVAL},
		{"inet_ntoa 3 bytes", ErrPackedLength},
		{"inet_ntop AF_INET 3 bytes", unix.EINVAL},
		{"inet_ntop AF_INET 3 bytes", ErrPackedLength},
		{"inet_ntop AF_INET6 4 bytes", unix.EINVAL},
		{"inet_ntop AF_CAN", ErrUnknownFamily},
		{"inet_ntop AF_CAN", unix.EAFNOSUPPORT},
		{"inet_pton AF_CAN", unix.EAFNOSUPPORT},
		{"if_indextoname -1", unix.ERANGE},
		{"if_indextoname 0", unix.ENXIO},
		{"settimeout -2", ErrNegativeTimeout},
		{"settimeout -2", unix.EINVAL},
		{"setdefaulttimeout -2", ErrNegativeTimeout},
		{"create_server AF_INET dualstack", ErrDualStackFamily},
		{"create_server AF_INET dualstack", unix.EINVAL},
	} {
		if !errors.Is(got[c.name], c.target) {
			t.Errorf("%s: %v does not match %v", c.name, got[c.name], c.target)
		}
	}
	if s.Timeout() != 0 || DefaultTimeout() != NoTimeout {
		t.Errorf("refused timeouts changed the state: socket %v, default %v", s.Timeout(), DefaultTimeout())
	}
	// Python 3.11 truncates an index above UINT_MAX to a C unsigned int;
	// 3.12 and later raise OverflowError, as IfIndexToName does.
	if _, err := IfIndexToName(1 << 32); pythonClass(err) != "OverflowError" {
		t.Errorf("IfIndexToName(1<<32) = %v, want a *RangeError", err)
	}
}
