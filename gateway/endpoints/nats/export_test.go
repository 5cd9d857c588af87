package nats

// Test hooks.

// Addr returns the embedded server's client URL of an opened endpoint.
func Addr(t any) string { return t.(*conn).Addr() }
