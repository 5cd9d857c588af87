package socketcand

import "testing"

// FuzzSocketcand feeds arbitrary bytes through the scanner and the command
// parsers: no panic, and every accepted send round-trips.
func FuzzSocketcand(f *testing.F) {
	for _, s := range []string{"< open vcan0 >", "< rawmode >< send 123 2 de ad >", "< send 80001234 8 1 2 3 4 5 6 7 8 >",
		"< add 1 0 123 2 1 2 >", "< subscribe 0 0 123 >", "< statistics 1000 >", "<<<>>>", "< send 123 9 >"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Scanner
		s.Write(b)
		var c Command
		var data [8]byte
		for range 1000 {
			m, ok, err := s.Next()
			if err != nil || !ok {
				return
			}
			if c.Parse(m) != nil {
				continue
			}
			switch c.Verb {
			case "send":
				id, n, err := ParseSend(c.Args, data[:])
				if err == nil && (n > 8 || (id&0x80000000 == 0 && id > 0x7FF)) {
					t.Fatalf("bad frame %x %d", id, n)
				}
			case "add", "subscribe", "filter":
				for _, a := range c.Args {
					ParseUint(a)
					ParseID(a)
				}
			}
		}
	})
}
