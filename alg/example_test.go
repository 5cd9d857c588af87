package alg_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log"

	"github.com/fieldgate/fieldgate/alg"
)

// A digest streams through the chosen provider; Sum does not end the
// stream.
func ExampleNewHash() {
	h, err := alg.NewHash("sha256", nil, alg.ProviderAuto)
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	h.Write([]byte("ab"))
	h.Write([]byte("c"))
	fmt.Println(hex.EncodeToString(h.Sum(nil)))
	// Output: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
}

// An AEAD reports which provider runs it; a forged message fails with
// ErrAuthentication.
func ExampleNewAEAD() {
	key, _ := hex.DecodeString("c939cc13397c1d37de6ae0e1cb7c423c")
	a, err := alg.NewAEAD("gcm(aes)", key, 16, alg.ProviderAuto)
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	nonce, _ := hex.DecodeString("b3d8cc017cbb89b39e0f67e2")
	aad, _ := hex.DecodeString("24825602bd12a984e0092d3e448eda5f")
	pt, _ := hex.DecodeString("c3b3c41f113a31b73d9a5cd432103069")
	ct := a.Seal(nil, nonce, pt, aad)
	fmt.Println(hex.EncodeToString(ct))
	ct[0] ^= 1
	_, err = a.Open(nil, nonce, ct, aad)
	fmt.Println(errors.Is(err, alg.ErrAuthentication))
	// Output:
	// 93fe7d9e9bfd10348a5606e5cafa73540032a1dc85f1c9786925a2e71d8272dd
	// true
}

// CBC through a BlockMode; the IV chains across CryptBlocks calls.
func ExampleNewEncrypter() {
	key, _ := hex.DecodeString("06a9214036b8a15b512e03d534120006")
	iv, _ := hex.DecodeString("3dafba429d9eb430b422da802c9fac41")
	m, err := alg.NewEncrypter("cbc(aes)", key, iv, alg.ProviderAuto)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	out := make([]byte, 16)
	m.CryptBlocks(out, []byte("Single block msg"))
	fmt.Println(hex.EncodeToString(out))
	// Output: e353779c1079aeb82708942dbe77181a
}

// The provider is reported, so callers can log or export which one ran.
func ExampleParseProvider() {
	p, err := alg.ParseProvider("kernel")
	fmt.Println(p, err)
	_, err = alg.ParseProvider("gpu")
	fmt.Println(err)
	// Output:
	// kernel <nil>
	// unknown provider "gpu" (want kernel, go or auto)
}
