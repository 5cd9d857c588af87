package alg

// NewHashKeyring returns the keyed hash name ("hmac(sha256)", ...) on the
// kernel provider, with the key taken from the kernel keyring key serial
// (a user, logon or trusted key; ALG_SET_KEY_BY_KEY_SERIAL, Linux 6.2+).
// The key never enters this process.
func NewHashKeyring(name string, serial int32) (Hash, error) {
	if err := checkRefused(name); err != nil {
		return nil, err
	}
	h, err := newKernelHashKeyring(name, serial)
	if err != nil {
		return nil, err
	}
	h.init(Choice{Provider: ProviderKernel, Reason: "keyring key"}, "hash", name, "")
	return h, nil
}

// NewAEADKeyring is NewAEAD on the kernel provider with the key taken from
// the kernel keyring key serial (Linux 6.2+).
func NewAEADKeyring(name string, serial int32, tagSize int) (AEAD, error) {
	if err := checkRefused(name); err != nil {
		return nil, err
	}
	if tagSize == 0 {
		tagSize = 16
	}
	a, err := newKernelAEADKeyring(aeadKinds(name, 12), serial, tagSize)
	if err != nil {
		return nil, err
	}
	a.init(Choice{Provider: ProviderKernel, Reason: "keyring key"}, "aead", name, "")
	return a, nil
}
