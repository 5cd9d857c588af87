package can_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoints/can"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/logfile"
)

func TestDecode(t *testing.T) {
	c, err := config.Parse("t.yaml", []byte(`endpoints:
  bus:
    kind: can
    interface: vcan0
    fd: true
    filters: ["123:7FF", {id: 0x200, mask: 0x700, inverted: true}]
    error_mask: 0x1FFFFFFF
    confirm: true
  plain: {kind: can, interface: vcan1}
  rec: {kind: log, path: /tmp/x.log}
routes:
  - {from: [bus, plain], to: [rec]}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Endpoint("bus").Settings.(*can.Config)
	for i := range got.Filters {
		got.Filters[i].Pos = config.Pos{}
	}
	want := &can.Config{
		Interface:     "vcan0",
		FD:            true,
		Filters:       []config.Filter{{ID: 0x123, Mask: 0x7FF}, {ID: 0x200, Mask: 0x700, Inverted: true}},
		ErrorMask:     0x1FFFFFFF,
		Confirm:       true,
		ReceiveBuffer: can.DefaultReceiveBuffer,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bus = %+v, want %+v", got, want)
	}
	tr := got.Traits()
	if tr.Carries != config.CarriesCAN|config.CarriesCANFD || tr.Trust != config.TrustBus || tr.Interface != "vcan0" || !tr.Reads() || !tr.Writes() {
		t.Errorf("bus traits = %+v", tr)
	}
	if iface, fd, filtered := got.RawCAN(); iface != "vcan0" || !fd || !filtered {
		t.Errorf("bus RawCAN = %s %v %v", iface, fd, filtered)
	}

	plain := c.Endpoint("plain").Settings.(*can.Config)
	if want := (&can.Config{Interface: "vcan1", ReceiveBuffer: 8 << 20}); !reflect.DeepEqual(plain, want) {
		t.Errorf("plain = %+v, want %+v", plain, want)
	}
	if tr := plain.Traits(); tr.Carries != config.CarriesCAN {
		t.Errorf("plain carries %v, want CAN only", tr.Carries)
	}
	if iface, fd, filtered := plain.RawCAN(); iface != "vcan1" || fd || filtered {
		t.Errorf("plain RawCAN = %s %v %v", iface, fd, filtered)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"missing interface", "endpoints:\n  bus: {kind: can}\n  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [bus], to: [rec]}\n",
			"t.yaml:2:3: endpoints.bus.interface: missing field (hint: the CAN interface name, e.g. can0 or vcan0)"},
		{"error mask range", "endpoints:\n  bus: {kind: can, interface: vcan0, error_mask: 0x20000000}\n  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [bus], to: [rec]}\n",
			"t.yaml:2:50: endpoints.bus.error_mask"},
		{"receive buffer too small", "endpoints:\n  bus: {kind: can, interface: vcan0, receive_buffer: 1KiB}\n  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [bus], to: [rec]}\n",
			"t.yaml:2:54: endpoints.bus.receive_buffer: receive buffer 1024 bytes is out of range (hint: 0 (the kernel's default) or 4KiB to 1GiB, e.g. 8MiB)"},
		{"receive buffer too large", "endpoints:\n  bus: {kind: can, interface: vcan0, receive_buffer: 2GiB}\n  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [bus], to: [rec]}\n",
			"t.yaml:2:54: endpoints.bus.receive_buffer: receive buffer 2147483648 bytes is out of range"},
		{"receive buffer not a size", "endpoints:\n  bus: {kind: can, interface: vcan0, receive_buffer: lots}\n  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [bus], to: [rec]}\n",
			"t.yaml:2:54: endpoints.bus.receive_buffer: invalid size \"lots\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("t.yaml", []byte(tc.yaml))
			es, ok := err.(config.Errors)
			if !ok || len(es) == 0 {
				t.Fatalf("err = %v, want config.Errors", err)
			}
			if got := es[0].Error(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("error = %q, want prefix %q", got, tc.want)
			}
		})
	}
}

// TestReceiveBufferDecode: receive_buffer takes sizes, 0 keeps the
// kernel's default, and the default is 8 MiB asked (16 MiB granted).
func TestReceiveBufferDecode(t *testing.T) {
	for _, tc := range []struct {
		val  string
		want int64
	}{{"", 8 << 20}, {"receive_buffer: 16MiB", 16 << 20}, {"receive_buffer: 0", 0}, {"receive_buffer: 65536", 64 << 10}, {"receive_buffer: 4KiB", 4 << 10}, {"receive_buffer: 1GiB", 1 << 30}} {
		c, err := config.Parse("t.yaml", []byte("endpoints:\n  bus: {kind: can, interface: vcan0, "+tc.val+"}\n  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [bus], to: [rec]}\n"))
		if err != nil {
			t.Fatalf("%q: %v", tc.val, err)
		}
		if got := c.Endpoint("bus").Settings.(*can.Config).ReceiveBuffer; got != tc.want {
			t.Errorf("%q: ReceiveBuffer %d, want %d", tc.val, got, tc.want)
		}
	}
}

// TestBufferFrames: the kernel queues a frame while less than the buffer
// is in use, 768 bytes each: 16 MiB hold 21 846 frames, as measured in
// the rig (TestHILCANKernelDropsAtBurstEnd).
func TestBufferFrames(t *testing.T) {
	for _, tc := range []struct{ granted, want int64 }{
		{16 << 20, 21846}, {768, 1}, {769, 2}, {1536, 2}, {0, 0}, {-1, 0}, {212992, 278},
	} {
		if got := can.BufferFrames(tc.granted); got != tc.want {
			t.Errorf("BufferFrames(%d) = %d, want %d", tc.granted, got, tc.want)
		}
	}
}

// bufferWarnings returns check's warnings about receive_buffer for src.
func bufferWarnings(t *testing.T, src string) []string {
	t.Helper()
	c, err := config.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckHost(); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, w := range c.Warnings {
		if w.Field == "endpoints.bus.receive_buffer" {
			out = append(out, w.Error())
		}
	}
	return out
}

// TestCheckReceiveBufferHoldsQueue: check warns, at receive_buffer's
// position with a size to set, when the buffer holds fewer frames than the
// endpoint's queue.size, and says nothing when it holds them.
func TestCheckReceiveBufferHoldsQueue(t *testing.T) {
	if _, capped := can.RmemCap(); capped {
		t.Skip("this process lacks CAP_NET_ADMIN: the rmem_max warning would come first")
	}
	const head = "endpoints:\n  rec: {kind: log, path: /tmp/x.log}\n  src: {kind: can, interface: lo}\n"
	const tail = "routes:\n  - {from: [bus], to: [rec]}\n  - {from: [src], to: [bus]}\n"
	for _, tc := range []struct{ name, ep, want string }{
		{"default holds the default queue", "  bus: {kind: can, interface: lo}\n", ""},
		{"default holds 21846", "  bus: {kind: can, interface: lo, queue: {size: 21846}}\n", ""},
		{"default short of 21847", "  bus: {kind: can, interface: lo, queue: {size: 21847}}\n",
			"t.yaml:4:3: endpoints.bus.receive_buffer: the receive buffer (16MiB granted) holds about 21846 frames, fewer than queue.size (21847): a burst from lo longer than that is dropped by the kernel (kernel_overflow) whenever the gateway falls behind, before a queue of that size could absorb it (hint: set receive_buffer to at least 9MiB (384 bytes per frame, which the kernel doubles), or make the queue smaller)"},
		{"small buffer", "  bus: {kind: can, interface: lo, receive_buffer: 64KiB}\n",
			"t.yaml:4:51: endpoints.bus.receive_buffer: the receive buffer (128KiB granted) holds about 171 frames, fewer than queue.size (1024): a burst from lo longer than that is dropped by the kernel (kernel_overflow) whenever the gateway falls behind, before a queue of that size could absorb it (hint: set receive_buffer to at least 1MiB (384 bytes per frame, which the kernel doubles), or make the queue smaller)"},
		{"kernel default not judged", "  bus: {kind: can, interface: lo, receive_buffer: 0}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := bufferWarnings(t, head+tc.ep+tail)
			if tc.want == "" {
				if len(got) != 0 {
					t.Errorf("warnings %q, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("warnings:\n%q\nwant:\n%q", got, tc.want)
			}
		})
	}
}

// TestCheckReceiveBufferCapped: without CAP_NET_ADMIN the kernel caps
// receive_buffer at net.core.rmem_max; check says what it will grant, and
// judges the queue against that.
func TestCheckReceiveBufferCapped(t *testing.T) {
	defer can.SetRmemCap(func() (int64, bool) { return 212992, true })()
	got := bufferWarnings(t, "endpoints:\n  bus: {kind: can, interface: lo}\n  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [bus], to: [rec]}\n")
	want := []string{
		"t.yaml:2:3: endpoints.bus.receive_buffer: without CAP_NET_ADMIN the kernel caps receive_buffer (8MiB) at net.core.rmem_max (208KiB): it will grant 416KiB, about 555 frames (hint: run the gateway with CAP_NET_ADMIN (the systemd unit grants it), or raise net.core.rmem_max)",
		"t.yaml:2:3: endpoints.bus.receive_buffer: the receive buffer (416KiB granted) holds about 555 frames, fewer than queue.size (1024): a burst from lo longer than that is dropped by the kernel (kernel_overflow) whenever the gateway falls behind, before a queue of that size could absorb it (hint: set receive_buffer to at least 1MiB (384 bytes per frame, which the kernel doubles), or make the queue smaller)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%q\nwant:\n%q", got, want)
	}
	// Under the cap: no warning.
	if got := bufferWarnings(t, "endpoints:\n  bus: {kind: can, interface: lo, receive_buffer: 200KiB, queue: {size: 500}}\n  rec: {kind: log, path: /tmp/x.log}\nroutes:\n  - {from: [bus], to: [rec]}\n"); len(got) != 0 {
		t.Errorf("warnings %q, want none", got)
	}
}
