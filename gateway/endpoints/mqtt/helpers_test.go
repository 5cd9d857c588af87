package mqtt_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	_ "github.com/fieldgate/fieldgate/gateway/endpoints/all"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

func init() { gatewaytest.RegisterKinds() }

// startGateway starts a gateway of yaml for the test; its log is shown if
// the test fails.
func startGateway(t *testing.T, yaml string) *gateway.Gateway {
	t.Helper()
	return gatewaytest.Start(t, "test", yaml).Gateway
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	gatewaytest.WaitFor(t, d, what, cond)
}

func waitConnected(t *testing.T, g *gateway.Gateway, name string) {
	t.Helper()
	waitFor(t, name+" connected", 30*time.Second, func() bool { return gatewaytest.EndpointStatus(g, name).Peers == 1 })
}

// broker is a mosquitto run by a test on a loopback port.
type broker struct {
	t    *testing.T
	port int
	conf string
	cmd  *exec.Cmd
	done chan struct{}
}

// startMosquitto runs Debian's mosquitto on a free loopback port with
// extra configuration lines.
func startMosquitto(t *testing.T, extra ...string) *broker {
	t.Helper()
	b := &broker{t: t, port: gatewaytest.FreePort(t, "tcp")}
	b.conf = filepath.Join(t.TempDir(), "mosquitto.conf")
	lines := append([]string{fmt.Sprintf("listener %d 127.0.0.1", b.port), "allow_anonymous true", "persistence false", "log_dest stderr", "log_type error"}, extra...)
	if err := os.WriteFile(b.conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.start()
	t.Cleanup(b.kill)
	return b
}

func (b *broker) url() string { return fmt.Sprintf("tcp://127.0.0.1:%d", b.port) }

func (b *broker) start() {
	b.t.Helper()
	b.cmd = exec.Command("/usr/sbin/mosquitto", "-c", b.conf)
	b.cmd.Stderr = os.Stderr
	if err := b.cmd.Start(); err != nil {
		b.t.Fatalf("mosquitto: %v", err)
	}
	b.done = make(chan struct{})
	go func(c *exec.Cmd, d chan struct{}) { c.Wait(); close(d) }(b.cmd, b.done)
	waitFor(b.t, "mosquitto listening", 30*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", b.port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// stop stops the broker with SIGTERM (a clean shutdown: with persistence
// it saves its sessions).
func (b *broker) stop() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	<-b.done
	b.cmd = nil
}

// kill stops the broker with SIGKILL (no clean shutdown).
func (b *broker) kill() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGKILL)
	<-b.done
	b.cmd = nil
}

// sub runs mosquitto_sub -v on topic until it has count messages or the
// deadline passes, and returns its lines ("topic payload").
type mosqSub struct {
	cmd  *exec.Cmd
	out  *lockedBuf
	done chan struct{}
}

type lockedBuf struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

func (l *lockedBuf) lines() []string {
	s := strings.TrimRight(l.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// startSub runs mosquitto_sub with args (after -h/-p) and collects its output.
func startSub(t *testing.T, b *broker, args ...string) *mosqSub {
	t.Helper()
	s := &mosqSub{out: &lockedBuf{}, done: make(chan struct{})}
	s.cmd = exec.Command("mosquitto_sub", append([]string{"-h", "127.0.0.1", "-p", fmt.Sprint(b.port)}, args...)...)
	s.cmd.Stdout = s.out
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.cmd.Process.Kill(); <-s.done })
	return s
}

// pub runs mosquitto_pub with args.
func pub(t *testing.T, b *broker, args ...string) {
	t.Helper()
	out, err := exec.Command("mosquitto_pub", append([]string{"-h", "127.0.0.1", "-p", fmt.Sprint(b.port)}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("mosquitto_pub %v: %v: %s", args, err, out)
	}
}

// python runs a python3 script (with python3-paho-mqtt) and returns its
// standard output.
func python(t *testing.T, script string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", append([]string{"-c", script}, args...)...)
	var stderr lockedBuf
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// testFrames returns n frames of every type; each one's data begins with
// its index (big-endian uint32) where the frame has room.
func testFrames(n int) []frame.Frame {
	out := make([]frame.Frame, n)
	for i := range out {
		f := &out[i]
		f.Time = time.Now().UnixNano()
		switch i % 6 {
		case 0, 1:
			f.Type, f.ID, f.Len = frame.CAN, uint32(0x100+i%0x700), 8
		case 2:
			f.Type, f.ID, f.Len = frame.CAN, frame.CANEFFFlag|uint32(i*7919)&frame.CANEFFMask, 8
		case 3:
			f.Type, f.ID, f.Flags, f.Len = frame.CANFD, 0x100, frame.CANFDBRS, 64
		case 4:
			f.Type, f.ID, f.Len = frame.ISOTP, 0x7E8, uint16(4+i%4000)
		case 5:
			f.Type, f.ID, f.Addr, f.Flags, f.Len = frame.J1939, 0xFECA, 0x80, 0xFF, uint16(8+i%100)
		}
		for j := range int(f.Len) {
			f.Data[j] = byte(i + j*3)
		}
		binary.BigEndian.PutUint32(f.Data[:4], uint32(i))
	}
	return out
}

// canFrames returns n classic CAN frames numbered in their data.
func canFrames(n int) []frame.Frame {
	out := make([]frame.Frame, n)
	for i := range out {
		f := &out[i]
		f.Type, f.ID, f.Len, f.Time = frame.CAN, uint32(0x100+i%16), 8, time.Now().UnixNano()
		binary.BigEndian.PutUint32(f.Data[:4], uint32(i))
		f.Data[7] = 0xA5
	}
	return out
}

func index(f *frame.Frame) uint32 { return binary.BigEndian.Uint32(f.Data[:4]) }

func sameFrames(t *testing.T, got, want []frame.Frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := &got[i], &want[i]
		if g.Type != w.Type || g.ID != w.ID || g.Flags != w.Flags || g.Addr != w.Addr || g.Len != w.Len || string(g.Payload()) != string(w.Payload()) {
			t.Fatalf("frame %d: got %s (type %v len %d), want %s (type %v len %d)", i, g.String(), g.Type, g.Len, w.String(), w.Type, w.Len)
		}
	}
}

// pubLines publishes each line as one message with mosquitto_pub -l (QoS 1).
func pubLines(t *testing.T, b *broker, topic string, lines ...string) {
	t.Helper()
	cmd := exec.Command("mosquitto_pub", "-h", "127.0.0.1", "-p", fmt.Sprint(b.port), "-q", "1", "-t", topic, "-l")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_pub: %v: %s", err, out)
	}
}
