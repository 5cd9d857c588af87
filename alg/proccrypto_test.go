package alg

import (
	"os"
	"strings"
	"testing"
)

func TestParseProcCrypto(t *testing.T) {
	f, err := os.Open("testdata/proc-crypto-x86.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	algs, err := ParseProcCrypto(f, "proc-crypto-x86.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(algs) != 12 {
		t.Fatalf("parsed %d entries, want 12", len(algs))
	}
	g := algs[0]
	if g.Name != "gcm(aes)" || g.Driver != "generic-gcm-aesni" || g.Module != "aesni_intel" || g.Priority != 400 ||
		g.SelfTest != "passed" || g.Internal || g.Type != "aead" || !g.Async || g.BlockSize != 1 || g.IVSize != 12 ||
		g.MaxAuthSize != 16 || g.GenIV != "<none>" || g.Line != 1 || g.RefCount != 1 {
		t.Errorf("gcm entry = %+v", g)
	}
	if g.SocketType() != "aead" || g.Backing() != BackingCPU {
		t.Errorf("gcm socket type %q backing %q", g.SocketType(), g.Backing())
	}
	c := algs[2]
	if c.MinKeySize != 16 || c.MaxKeySize != 32 || c.ChunkSize != 16 || c.WalkSize != 16 || c.Line != 29 {
		t.Errorf("cbc entry = %+v", c)
	}
	// Lookup picks the highest priority non-internal driver of a name.
	for _, tc := range []struct{ name, typ, driver string }{
		{"sha256", "hash", "sha256-avx2"},
		{"sha256-generic", "", "sha256-generic"},
		{"cbc(aes)", "skcipher", "cbc-aes-aesni"},
		{"gcm(aes)", "aead", "generic-gcm-aesni"},
		{"__gcm(aes)", "", ""},
		{"stdrng", "rng", "drbg_nopr_hmac_sha256"},
		{"sha256", "aead", ""},
		{"nope", "", ""},
	} {
		a := Lookup(algs, tc.name, tc.typ)
		got := ""
		if a != nil {
			got = a.Driver
		}
		if got != tc.driver {
			t.Errorf("Lookup(%q, %q) = %q, want %q", tc.name, tc.typ, got, tc.driver)
		}
	}
	backings := map[string]Backing{
		"sha256-avx2": BackingCPU, "sha256-generic": BackingGeneric, "cbc-aes-ccp": BackingOffload,
		"ctr(aes-generic)": BackingGeneric, "drbg_nopr_hmac_sha256": BackingGeneric,
	}
	for i := range algs {
		if want, ok := backings[algs[i].Driver]; ok && algs[i].Backing() != want {
			t.Errorf("%s backing %s, want %s", algs[i].Driver, algs[i].Backing(), want)
		}
	}
	if algs[11].SocketType() != "" {
		t.Errorf("scomp socket type %q", algs[11].SocketType())
	}
}

func TestParseProcCryptoErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"driver : x\n", "f:1: field \"driver\" before the first \"name\" field"},
		{"name : a\ndriver : b\ntype : shash\npriority : high\n", "f:4: field \"priority\": value \"high\" is not a non-negative integer"},
		{"name : a\nno separator\n", "f:2: line \"no separator\" has no ':' separator"},
		{"name : a\ntype : shash\n\n", "f:1: entry \"a\" has no driver field"},
		{"name : a\ndriver : b\n", "f:1: entry \"a\" has no type field"},
		{"name : \n", "f:1: empty algorithm name"},
		{"name : a\ndriver : b\ntype : x\ninternal : maybe\n", "f:4: field \"internal\": value \"maybe\" is neither yes nor no"},
		{"name : a\n : b\n", "f:2: empty field name"},
		{"name : a\ndriver : b\ntype : x\nblocksize : -1\n", "f:4: field \"blocksize\""},
		{"name : a\ndriver : " + strings.Repeat("x", 5000) + "\n", "f:2: bufio.Scanner: token too long"},
	} {
		_, err := ParseProcCrypto(strings.NewReader(tc.in), "f")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseProcCrypto(%q) error %v, want %q", truncate(tc.in), err, tc.want)
		}
	}
	algs, err := ParseProcCrypto(strings.NewReader("\n\nname : a\ndriver : b\ntype : x\nodd key : v\n"), "f")
	if err != nil || len(algs) != 1 || algs[0].Extra["odd key"] != "v" {
		t.Errorf("extra field: %+v, %v", algs, err)
	}
}

func FuzzParseProcCrypto(f *testing.F) {
	b, err := os.ReadFile("testdata/proc-crypto-x86.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("name : a\ndriver : b\ntype : shash\ndigestsize : 32\n")
	if g, err := os.ReadFile("testdata/proc-crypto-debian-6.1-guest.txt"); err == nil {
		f.Add(string(g))
	}
	f.Fuzz(func(t *testing.T, in string) {
		algs, err := ParseProcCrypto(strings.NewReader(in), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		for _, a := range algs {
			if a.Name == "" || a.Driver == "" || a.Type == "" || a.Line < 1 {
				t.Fatalf("accepted incomplete entry %+v", a)
			}
			if a.Priority < 0 || a.BlockSize < 0 || a.DigestSize < 0 || a.IVSize < 0 {
				t.Fatalf("negative size in %+v", a)
			}
			_ = a.Backing()
			_ = a.SocketType()
		}
	})
}

// TestParseProcCryptoGuest parses the rig guest's real /proc/crypto
// (Debian 6.1.0-56, captured at boot with `make hil CMD='cat /proc/crypto'`).
func TestParseProcCryptoGuest(t *testing.T) {
	f, err := os.Open("testdata/proc-crypto-debian-6.1-guest.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	algs, err := ParseProcCrypto(f, "proc-crypto-debian-6.1-guest.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(algs) != 58 {
		t.Fatalf("parsed %d entries, want 58", len(algs))
	}
	types := map[string]int{}
	for _, a := range algs {
		types[a.SocketType()]++
		if a.Module == "" || a.SelfTest == "" {
			t.Errorf("entry at line %d lacks module or selftest: %+v", a.Line, a)
		}
	}
	if types["hash"] == 0 || types["rng"] == 0 {
		t.Errorf("socket types %v: want hashes and RNGs", types)
	}
	if a := Lookup(algs, "stdrng", "rng"); a == nil || !strings.HasPrefix(a.Driver, "drbg_") {
		t.Errorf("stdrng = %+v", a)
	}
}
