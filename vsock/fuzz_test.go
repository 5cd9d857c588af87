package vsock

import "testing"

// FuzzParseAddr: no panics, and whatever parses prints (as *Addr's String
// and as "vsock:CID:PORT") and parses back to the same address.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"vsock:2:1234", "host:any", "vm(3):5", "any:4294967295", "local(1):0", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddr(s)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("ParseAddr(%q) error %T %v, want *ParseError", s, err, err)
			}
			return
		}
		b, err := ParseAddr(a.String())
		if err != nil || *b != *a {
			t.Fatalf("ParseAddr(%q) = %v; its String %q parses to %v, %v", s, a, a.String(), b, err)
		}
	})
}
