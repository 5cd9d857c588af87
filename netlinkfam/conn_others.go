//go:build !linux

package netlinkfam

type conn struct{}

func dial(*Config) (*conn, error)                       { return nil, ErrNotSupported }
func (*conn) close() error                              { return ErrNotSupported }
func (*conn) links() ([]Link, error)                    { return nil, ErrNotSupported }
func (*conn) linkByName(string) (*Link, error)          { return nil, ErrNotSupported }
func (*conn) addVCAN(string, *VCANConfig) error         { return ErrNotSupported }
func (*conn) addPair(string, string, *PeerConfig) error { return ErrNotSupported }
func (*conn) addVeth(string, *PeerConfig) error         { return ErrNotSupported }
func (*conn) deleteLink(string) error                   { return ErrNotSupported }
func (*conn) setUp(string, bool) error                  { return ErrNotSupported }
func (*conn) setMTU(string, int) error                  { return ErrNotSupported }
func (*conn) setNetNS(string, int) error                { return ErrNotSupported }
func (*conn) setCAN(string, *CANConfig) error           { return ErrNotSupported }
