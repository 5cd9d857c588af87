//go:build hil

package alg

import "testing"

func TestVectorsKernel(t *testing.T) {
	vs := loadVectors(t)
	for _, v := range vs {
		checkVector(t, v, ProviderKernel)
	}
	t.Logf("%d vectors on the kernel provider", len(vs))
}

func TestProcCryptoKernel(t *testing.T) {
	algs, err := ReadProcCrypto()
	if err != nil {
		t.Fatal(err)
	}
	if Lookup(algs, "sha256", "hash") == nil {
		t.Fatalf("sha256 not in /proc/crypto (%d entries)", len(algs))
	}
	t.Logf("%d entries", len(algs))
}
