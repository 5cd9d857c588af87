// Package alg is kernel crypto through AF_ALG behind Go's crypto interfaces:
// hash.Hash, HMAC, cipher.BlockMode/Stream, cipher.AEAD and an io.Reader RNG, with
// a provider choice (kernel, go, auto) that always reports which one ran.
package alg
