//go:build linux

package can

import (
	"context"
	"errors"
	"testing"

	socketcan "github.com/fieldgate/fieldgate/can"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/frame"
)

// TestSendUnsupportedDropsOneFrame: a frame a raw CAN socket cannot carry
// (CAN FD on an endpoint with fd: false, an ISO-TP PDU) is reported as one
// unsupported drop (DropError.One), so the engine drops that frame and
// writes the rest of the batch. Without One the engine counted every
// frame after it as unsupported too: in the rig (TestHILAttackDatagrams,
// TestHILAttackStreams) one CAN FD frame from a network peer whose ID the
// allow list admits made vcan1 lose the legitimate frames queued behind
// it. Neither call reaches the socket (there is none here).
func TestSendUnsupportedDropsOneFrame(t *testing.T) {
	c := &canConn{cfg: &Config{Interface: "vcan9"}, tx: make([]socketcan.FDFrame, 4), itx: make([]socketcan.FDFrame, 4)}
	for _, typ := range []frame.Type{frame.CANFD, frame.ISOTP, frame.J1939, frame.Ethernet} {
		batch := []frame.Frame{{Type: typ, ID: 0x123, Len: 8}, {Type: frame.CAN, ID: 0x123, Len: 1}}
		for name, send := range map[string]func() (int, error){
			"Send":    func() (int, error) { return c.Send(context.Background(), batch) },
			"TrySend": func() (int, error) { return c.TrySend(batch) },
		} {
			n, err := send()
			var de *endpoint.DropError
			if n != 0 || !errors.As(err, &de) || de.Reason != endpoint.ReasonUnsupported || !de.One {
				t.Errorf("%s(%s frame, CAN frame) = %d, %#v; want 0 and one unsupported drop (One)", name, typ, n, err)
			}
		}
	}
}
