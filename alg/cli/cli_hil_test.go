//go:build hil

package cli

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The CLI on the rig's kernel: the kernel provider answers and says so,
// and its AEAD output is byte-for-byte kcapi-enc's.
func TestCLIKernel(t *testing.T) {
	out, stderr, err := fg(t, []byte("abc"), "hash", "-c", "sha256", "--hex", "-provider", "kernel")
	if err != nil || out != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n" {
		t.Fatalf("hash = %q, %v", out, err)
	}
	if !strings.Contains(stderr, "provider kernel, driver sha256-") {
		t.Errorf("stderr %q does not name the kernel driver", stderr)
	}
	key := "c939cc13397c1d37de6ae0e1cb7c423c"
	iv := "b3d8cc017cbb89b39e0f67e2"
	aad := "24825602bd12a984e0092d3e448eda5f"
	pt := []byte("fieldgate over AF_ALG")
	ours, _, err := fg(t, pt, "enc", "-c", "gcm(aes)", "-provider", "kernel", "-key", key, "-iv", iv, "-aad", aad, "-q")
	if err != nil {
		t.Fatal(err)
	}
	k, _ := hex.DecodeString(key)
	// The key goes to kcapi-enc on fd 3 from a file; the data on stdin.
	kc := exec.Command("sh", "-c", `exec kcapi-enc -c 'gcm(aes)' -e --iv `+iv+` --aad `+aad+` --taglen 16 --keyfd 3 3<"$KEYFILE"`)
	keyFile := t.TempDir() + "/key"
	if err := os.WriteFile(keyFile, k, 0o600); err != nil {
		t.Fatal(err)
	}
	kc.Env = append(kc.Environ(), "KEYFILE="+keyFile)
	kc.Stdin = bytes.NewReader(pt)
	want, err := kc.Output()
	if err != nil {
		t.Fatalf("kcapi-enc: %v", err)
	}
	if ours != string(want) {
		t.Fatalf("crypto enc = %x, kcapi-enc = %x", ours, want)
	}
	back, _, err := fg(t, want, "dec", "-c", "gcm(aes)", "-provider", "kernel", "-key", key, "-iv", iv, "-aad", aad, "-q")
	if err != nil || back != string(pt) {
		t.Fatalf("dec of kcapi-enc output = %q, %v", back, err)
	}
	out, _, err = fg(t, nil, "rng", "-b", "300", "-provider", "kernel", "-n", "drbg_nopr_sha256", "-seed", "00112233", "-q")
	if err != nil || len(out) != 300 {
		t.Fatalf("rng: %d bytes, %v", len(out), err)
	}
	out, _, err = fg(t, nil, "list", "-type", "hash")
	if err != nil || !strings.Contains(out, "sha256-generic") {
		t.Fatalf("list: %v\n%s", err, out)
	}
}
