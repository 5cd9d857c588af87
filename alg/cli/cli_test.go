package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/alg"
)

// fg runs "fieldgate crypto ARGS" with stdin and returns stdout, stderr.
func fg(t *testing.T, stdin []byte, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, bytes.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestHashAndHMAC(t *testing.T) {
	out, stderr, err := fg(t, []byte("abc"), "hash", "-c", "sha256", "--hex", "-provider", "go")
	if err != nil || out != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n" {
		t.Fatalf("hash = %q, %v", out, err)
	}
	if !strings.Contains(stderr, "provider go, driver go:crypto/sha256 (requested)") {
		t.Errorf("provider not reported: %q", stderr)
	}
	out, _, err = fg(t, []byte("abc"), "hash", "-c", "sha256", "-q")
	if err != nil || hex.EncodeToString([]byte(out)) != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("raw hash = %x, %v", out, err)
	}
	out, _, err = fg(t, []byte("what do ya want for nothing?"), "hmac", "-c", "sha1", "-key", hex.EncodeToString([]byte("Python loves AF_ALG")), "--hex", "-q")
	if err != nil || out != "193dbb43c6297b47ea6277ec0ce67119a3f3aa66\n" {
		t.Fatalf("hmac = %q, %v", out, err)
	}
}

func TestEncDec(t *testing.T) {
	key := "06a9214036b8a15b512e03d534120006"
	iv := "3dafba429d9eb430b422da802c9fac41"
	out, _, err := fg(t, []byte("Single block msg"), "enc", "-c", "cbc(aes)", "-key", key, "-iv", iv, "--hex", "-q")
	if err != nil || out != "e353779c1079aeb82708942dbe77181a\n" {
		t.Fatalf("enc = %q, %v", out, err)
	}
	// Unaligned input is padded (kcapi-enc style) and unpadded on dec.
	ct, _, err := fg(t, []byte("nineteen bytes!!!!!"), "enc", "-c", "cbc(aes)", "-key", key, "-iv", iv, "-q")
	if err != nil || len(ct) != 32 {
		t.Fatalf("padded enc: %d bytes, %v", len(ct), err)
	}
	pt, _, err := fg(t, []byte(ct), "dec", "-c", "cbc(aes)", "-key", key, "-iv", iv, "-q")
	if err != nil || pt != "nineteen bytes!!!!!" {
		t.Fatalf("dec = %q, %v", pt, err)
	}
	pt, _, _ = fg(t, []byte(ct), "dec", "-c", "cbc(aes)", "-key", key, "-iv", iv, "-q", "--nounpad")
	if len(pt) != 32 {
		t.Errorf("--nounpad kept %d bytes", len(pt))
	}
	if _, _, err := fg(t, []byte("short"), "enc", "-c", "cbc(aes)", "-key", key, "-iv", iv, "-nopad"); err == nil || !strings.Contains(err.Error(), "not a multiple of the 16-byte block") {
		t.Errorf("-nopad: %v", err)
	}
	// ctr: any length.
	out, _, err = fg(t, []byte("xx"), "enc", "-c", "ctr(aes)", "-key", "2b7e151628aed2a6abf7158809cf4f3c", "-iv", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "--hex", "-q")
	// SP 800-38A F.5.1: keystream ec8c (874d ^ 6bc1), ^ "xx" = 94f4.
	if err != nil || out != "94f4\n" {
		t.Errorf("ctr = %q, %v", out, err)
	}
}

func TestAEADLayout(t *testing.T) {
	args := []string{"-c", "gcm(aes)", "-key", "c939cc13397c1d37de6ae0e1cb7c423c", "-iv", "b3d8cc017cbb89b39e0f67e2", "-aad", "24825602bd12a984e0092d3e448eda5f", "-q"}
	pt, _ := hex.DecodeString("c3b3c41f113a31b73d9a5cd432103069")
	out, _, err := fg(t, pt, append([]string{"enc", "--hex"}, args...)...)
	want := "24825602bd12a984e0092d3e448eda5f" + "93fe7d9e9bfd10348a5606e5cafa7354" + "0032a1dc85f1c9786925a2e71d8272dd\n"
	if err != nil || out != want {
		t.Fatalf("gcm enc = %q, %v; want %q", out, err, want)
	}
	raw, _ := hex.DecodeString(strings.TrimSpace(out))
	got, _, err := fg(t, raw, append([]string{"dec"}, args...)...)
	if err != nil || !bytes.Equal([]byte(got), pt) {
		t.Fatalf("gcm dec = %x, %v", got, err)
	}
	// Detached tag, as kcapi-enc --tag.
	got, _, err = fg(t, raw[:32], append([]string{"dec", "-tag", "0032a1dc85f1c9786925a2e71d8272dd"}, args...)...)
	if err != nil || !bytes.Equal([]byte(got), pt) {
		t.Fatalf("gcm dec -tag = %x, %v", got, err)
	}
	raw[len(raw)-1] ^= 1
	got, _, err = fg(t, raw, append([]string{"dec"}, args...)...)
	if !errors.Is(err, alg.ErrAuthentication) || got != "" {
		t.Fatalf("wrong tag: output %q, err %v", got, err)
	}
	// ccm with the kernel's 16-byte IV form or a bare nonce agree.
	a, _, err := fg(t, []byte("hi"), "enc", "-c", "ccm(aes)", "-key", "404142434445464748494a4b4c4d4e4f", "-iv", "0610111213141516000000000000000", "-q")
	if err == nil {
		t.Errorf("odd-length hex accepted: %q", a)
	}
	a, _, err = fg(t, []byte("hi"), "enc", "-c", "ccm(aes)", "-key", "404142434445464748494a4b4c4d4e4f", "-iv", "02101112131415161718191a1b000000", "-q")
	b, _, err2 := fg(t, []byte("hi"), "enc", "-c", "ccm(aes)", "-key", "404142434445464748494a4b4c4d4e4f", "-ccm-nonce", "101112131415161718191a1b", "-q")
	if err != nil || err2 != nil || a != b || len(a) != 18 {
		t.Errorf("ccm iv/nonce: %x %v / %x %v", a, err, b, err2)
	}
}

func TestRNGAndList(t *testing.T) {
	out, _, err := fg(t, nil, "rng", "-b", "300", "-q")
	if err != nil || len(out) != 300 {
		t.Fatalf("rng: %d bytes, %v", len(out), err)
	}
	out, _, err = fg(t, nil, "list", "-file", "../testdata/proc-crypto-x86.txt", "-hw")
	if err != nil || strings.Count(out, "\n") != 5 || !strings.Contains(out, "cbc-aes-ccp") || strings.Contains(out, "sha256-generic") {
		t.Fatalf("list -hw = %q, %v", out, err)
	}
	out, _, err = fg(t, nil, "list", "-file", "../testdata/proc-crypto-x86.txt", "-json", "-type", "rng")
	if err != nil || strings.Count(out, `"socket_type": "rng"`) != 2 {
		t.Fatalf("list -json = %q, %v", out, err)
	}
	if _, _, err := fg(t, nil, "list", "-file", "../testdata/proc-crypto-x86.txt", "whirlpool"); err == nil {
		t.Error("list of an unknown name succeeded")
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"hash"},
		{"hmac", "-c", "sha256"},
		{"hash", "-c", "sha256", "-provider", "gpu"},
		{"rng"},
		{"enc", "-c", "cbc(aes)", "-key", "zz"},
		{"hash", "-c", "sha256", "a", "b"},
		{"hash", "-nosuchflag"},
	} {
		_, _, err := fg(t, nil, args...)
		var ec interface{ ExitCode() int }
		if err == nil || !errors.As(err, &ec) || ec.ExitCode() != 2 {
			t.Errorf("%q: err %v, want a usage error (exit 2)", args, err)
		}
	}
	if _, _, err := fg(t, nil, "hash", "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}
