package bluetooth

import (
	"context"
	"fmt"
	"net"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// RFCOMMLinkFields are the fields DecodeRFCOMMLink reads, documented as
// the rfcomm kind documents them: address, channel, local, security and
// peers.
var RFCOMMLinkFields = append([]config.Field{}, rfcommFields...)

// An RFCOMMLink is an RFCOMM server or client for a kind that carries a
// protocol of its own over the channel (slcan's transport: rfcomm): the
// rfcomm kind's address settings, their checks and its peers allow list,
// without cannelloni's framing.
type RFCOMMLink struct{ c *Config }

// DecodeRFCOMMLink reads the fields of RFCOMMLinkFields for a server or
// a client, with the rfcomm kind's validation: a client needs address,
// local and peers apply to one role only, security is at most high.
func DecodeRFCOMMLink(o *config.Object, role config.Role) *RFCOMMLink {
	c := decode(o, role, RFCOMM).(*Config)
	c.Role = role
	return &RFCOMMLink{c}
}

// Config returns the link's settings (Proto RFCOMM; the stream settings
// are unset but for Role).
func (l *RFCOMMLink) Config() *Config { return l.c }

// Binds: a server's adapter and channel, as the rfcomm kind binds them.
func (l *RFCOMMLink) Binds() []config.Bind { return l.c.Binds() }

// Describe names the link in logs: "rfcomm server 00:…:00 channel 3".
func (l *RFCOMMLink) Describe() string {
	if l.c.Role == config.Client {
		return fmt.Sprintf("rfcomm client %v channel %d", l.c.Address, l.c.Channel)
	}
	return fmt.Sprintf("rfcomm server %v channel %d", l.c.Address, l.c.Channel)
}

// Check fails off Linux and on a kernel without Bluetooth.
func (l *RFCOMMLink) Check() error { return transport{l.c}.Check() }

// Listen binds the channel on Address's adapter and listens, with the
// BT_SECURITY level set on the listening socket.
func (l *RFCOMMLink) Listen(ctx context.Context) (net.Listener, error) {
	return transport{l.c}.Listen(ctx)
}

// Dial connects to Address's channel from Local's adapter.
func (l *RFCOMMLink) Dial(ctx context.Context) (net.Conn, error) {
	return transport{l.c}.Dial(ctx)
}

// AllowPeer admits a connection from a device in peers (any without
// peers); its error says why not.
func (l *RFCOMMLink) AllowPeer(c net.Conn) error { return transport{l.c}.AllowPeer(c) }
