//go:build linux

package can_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fieldgate/fieldgate/can"
)

// ExampleListenRaw receives frames in batches (needs a CAN interface, so it
// has no Output and is compiled, not run).
func ExampleListenRaw() {
	c, err := can.ListenRaw("vcan0", &can.RawConfig{FD: true, Timestamps: true,
		Filters: []can.Filter{{ID: 0x100, Mask: 0x700}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	msgs := make([]can.RecvMsg, can.MaxBatch)
	n, err := c.ReadBatch(ctx, msgs)
	for _, m := range msgs[:n] {
		fmt.Println(m.Time.Format(time.RFC3339Nano), m.Frame)
	}
	fmt.Println(err, c.Dropped())
}

// ExampleDialISOTP sends a diagnostic request and reads the answer.
func ExampleDialISOTP() {
	c, err := can.DialISOTP("can0", 0x7E8, 0x7E0, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.WritePDU(ctx, []byte{0x22, 0xF1, 0x90}); err != nil {
		fmt.Println(err)
		return
	}
	buf := make([]byte, can.MaxISOTPPDU)
	n, err := c.ReadPDU(ctx, buf)
	fmt.Printf("% X %v\n", buf[:n], err)
}
