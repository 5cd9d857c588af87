//go:build !hil

package nats_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/frame"
	"github.com/fieldgate/fieldgate/gateway/gatewaytest"
)

// A cluster of Debian's nats-server binaries (apt package nats-server,
// provisioned by make test like the rig's other peers), three nodes on
// loopback started by the test.
type cluster struct {
	t                     *testing.T
	bin                   string
	dir                   string
	ports, cports, mports [3]int
	cmds                  [3]*exec.Cmd
}

func natsServerBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server"} {
		if b, err := exec.LookPath(p); err == nil {
			return b
		}
	}
	t.Skip("nats-server is not installed (apt-get install nats-server; make test provisions it)")
	return ""
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: natsServerBinary(t), dir: t.TempDir()}
	t.Cleanup(func() {
		if t.Failed() {
			for i := range 3 {
				b, _ := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("n%d.log", i)))
				t.Logf("node %d log:\n%s", i, b)
			}
		}
	})
	ps := freePorts(t, 9) // distinct: a port freed may be handed out again
	for i := range 3 {
		c.ports[i], c.cports[i], c.mports[i] = ps[3*i], ps[3*i+1], ps[3*i+2]
	}
	for i := range 3 {
		c.start(i)
	}
	t.Cleanup(func() {
		for i := range 3 {
			c.kill(i)
		}
	})
	// Ready when every node accepts clients and JetStream has a leader
	// (a meta leader: streams can be created).
	for i := range 3 {
		waitFor(t, fmt.Sprintf("node %d", i), 30*time.Second, func() bool {
			nc, err := natsio.Connect(c.url(i))
			if err != nil {
				return false
			}
			nc.Close()
			return true
		})
	}
	waitFor(t, "JetStream meta leader", 30*time.Second, func() bool {
		var v struct {
			Meta *struct {
				Leader string `json:"leader"`
			} `json:"meta_cluster"`
		}
		return c.monitor(0, "/jsz", &v) == nil && v.Meta != nil && v.Meta.Leader != ""
	})
	return c
}

func (c *cluster) url(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", c.ports[i]) }

func (c *cluster) urls() string {
	return fmt.Sprintf("[%s, %s, %s]", c.url(0), c.url(1), c.url(2))
}

func (c *cluster) start(i int) {
	var routes []string
	for j := range 3 {
		if j != i {
			routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", c.cports[j]))
		}
	}
	conf := fmt.Sprintf(`
server_name: n%d
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
jetstream { store_dir: %q }
cluster {
  name: fg
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, i, c.ports[i], c.mports[i], filepath.Join(c.dir, fmt.Sprint(i)), c.cports[i], strings.Join(routes, ", "))
	path := filepath.Join(c.dir, fmt.Sprintf("n%d.conf", i))
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bin, "-c", path)
	logf, _ := os.Create(filepath.Join(c.dir, fmt.Sprintf("n%d.log", i)))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.cmds[i] = cmd
}

// kill ends node i with SIGKILL: no goodbye to clients or routes.
func (c *cluster) kill(i int) {
	if cmd := c.cmds[i]; cmd != nil {
		cmd.Process.Kill()
		cmd.Wait()
		c.cmds[i] = nil
	}
}

func (c *cluster) monitor(i int, path string, v any) error {
	r, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", c.mports[i], path))
	if err != nil {
		return err
	}
	defer r.Body.Close()
	return json.NewDecoder(r.Body).Decode(v)
}

// nodeOf returns the node a client named name is connected to.
func (c *cluster) nodeOf(name string) int {
	for i := range 3 {
		if c.cmds[i] == nil {
			continue
		}
		var v struct {
			Conns []struct {
				Name string `json:"name"`
			} `json:"connections"`
		}
		if c.monitor(i, "/connz", &v) != nil {
			continue
		}
		for _, cn := range v.Conns {
			if cn.Name == name {
				return i
			}
		}
	}
	return -1
}

// indexed returns n CAN frames carrying their index in ID and data.
func indexed(n int) []frame.Frame {
	fs := make([]frame.Frame, n)
	for i := range fs {
		fs[i] = frame.Frame{Type: frame.CAN, ID: frame.CANEFFFlag | uint32(i), Len: 4}
		binary.BigEndian.PutUint32(fs[i].Data[:], uint32(i))
	}
	return fs
}

// feed injects frames as fast as the gateway takes them and, once the
// endpoint "pub" of g has sent a third of them, kills the node the
// client named name is connected to.
func feed(t *testing.T, c *cluster, g *gateway.Gateway, src, name string, fs []frame.Frame) int {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		gatewaytest.Inject(t, src, fs)
	}()
	waitFor(t, "a third sent", 60*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "pub").FramesOut >= uint64(len(fs)/3) })
	killed := c.nodeOf(name)
	if killed < 0 {
		t.Fatalf("no node has client %q", name)
	}
	c.kill(killed)
	t.Logf("killed node %d (where %s was connected) after %d frames were sent", killed, name, gatewaytest.EndpointStatus(g, "pub").FramesOut)
	<-done
	return killed
}

// TestClusterJetStreamFailover: a publisher with jetstream (R3 stream)
// connected to a 3-node cluster; the node it is connected to is killed
// mid-stream. It reconnects to another node, publishes again what was not
// acknowledged (same Nats-Msg-Id), and the stream holds every frame
// exactly once: 0 lost, 0 duplicated.
func TestClusterJetStreamFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := startCluster(t)
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  in-r3: {kind: test-source}
  pub: {kind: nats, gateway: gr3, url: %s, reconnect: {min: 50ms, max: 500ms},
        jetstream: {stream: R3, replicas: 3, ack_timeout: 2s}, queue: {size: 65536, overflow: backpressure}}
routes:
  - {name: r, from: [in-r3], to: [pub]}
`, c.urls()))
	waitConnected(t, g, "pub")
	fs := indexed(200000)
	killed := feed(t, c, g, "in-r3", "fieldgate gr3 pub", fs)
	waitFor(t, "every frame acknowledged", 90*time.Second, func() bool { return gatewaytest.EndpointStatus(g, "pub").FramesOut == uint64(len(fs)) })
	st := gatewaytest.EndpointStatus(g, "pub")
	if len(st.Dropped) != 0 {
		t.Fatalf("publisher dropped: %+v", st)
	}
	got := streamFrames(t, c.url((killed+1)%3), "R3")
	seen := make([]int, len(fs))
	for _, f := range got {
		seen[binary.BigEndian.Uint32(f.Data[:])]++
	}
	lost, dup := 0, 0
	for _, n := range seen {
		if n == 0 {
			lost++
		}
		if n > 1 {
			dup += n - 1
		}
	}
	t.Logf("stream holds %d frames in %d-frame run: lost %d, duplicated %d; publisher %+v", len(got), len(fs), lost, dup, st)
	if lost != 0 || dup != 0 || len(got) != len(fs) {
		t.Fatalf("lost %d, duplicated %d", lost, dup)
	}
	if st.Reconnects != 1 || st.PendingAcks != 0 {
		t.Fatalf("reconnects %d, pending acks %d", st.Reconnects, st.PendingAcks)
	}
}

// TestClusterFailoverCounted: without jetstream, the node the publisher
// is connected to is killed mid-stream; what the subscriber (another
// gateway, on another node) does not receive, it counts exactly in
// seq_gaps: received + seq_gaps = published, and what arrives is in order.
// A tail of frames follows once the publisher is back, so that a loss
// just before the end is followed by a message that reveals it.
func TestClusterFailoverCounted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	c := startCluster(t)
	pub := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  in-core: {kind: test-source}
  pub: {kind: nats, gateway: gcore, url: %s, reconnect: {min: 50ms, max: 500ms}, queue: {size: 65536, overflow: backpressure}}
routes:
  - {name: r, from: [in-core], to: [pub]}
`, c.urls()))
	waitConnected(t, pub, "pub")
	// The subscriber on a node the publisher is not on.
	pn := c.nodeOf("fieldgate gcore pub")
	other := (pn + 1) % 3
	sub := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  sub: {kind: nats, gateway: gsub, url: %q, subscribe: [fieldgate.gcore.>]}
  bus-core: {kind: test-bus, queue: {size: 65536, overflow: backpressure}}
routes:
  - {name: r, from: [sub], to: [bus-core], allow: [any]}
`, c.url(other)))
	waitSubscribed(t, sub, "sub")
	time.Sleep(500 * time.Millisecond) // the subscription propagates to the other nodes
	fs := indexed(200000 + 1000)
	feed(t, c, pub, "in-core", "fieldgate gcore pub", fs[:200000])
	// What is lost at the tail, after the last message that arrives,
	// leaves no gap to count (the kill may come after the last frame was
	// handed over): a tail published once the publisher is back on
	// another node shows every loss before it as a gap.
	waitFor(t, "the publisher back on another node", 60*time.Second, func() bool {
		ps := gatewaytest.EndpointStatus(pub, "pub")
		return ps.Reconnects == 1 && ps.Peers == 1 && ps.FramesOut == 200000
	})
	gatewaytest.Inject(t, "in-core", fs[200000:])
	for deadline := time.Now().Add(60 * time.Second); gatewaytest.EndpointStatus(pub, "pub").FramesOut != uint64(len(fs)); {
		if time.Now().After(deadline) {
			t.Fatalf("not every frame published: %+v %+v", gatewaytest.EndpointStatus(pub, "pub"), pub.Status().Routes)
		}
		time.Sleep(10 * time.Millisecond)
	}
	bus := gatewaytest.BusOf(t, "bus-core")
	var ss gateway.EndpointStatus
	deadline := time.Now().Add(60 * time.Second)
	for ss = gatewaytest.EndpointStatus(sub, "sub"); ss.FramesIn+ss.SeqGaps != uint64(len(fs)); ss = gatewaytest.EndpointStatus(sub, "sub") {
		if time.Now().After(deadline) {
			t.Fatalf("received %d + counted lost %d != published %d; subscriber %+v", ss.FramesIn, ss.SeqGaps, len(fs), ss)
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitFor(t, "the bus takes every frame received", 60*time.Second, func() bool { return uint64(bus.Len()) == ss.FramesIn })
	got := bus.Frames()
	last := -1
	for _, f := range got {
		i := int(binary.BigEndian.Uint32(f.Data[:]))
		if i <= last {
			t.Fatalf("frame %d after %d", i, last)
		}
		last = i
	}
	t.Logf("published %d, received %d, counted lost %d; publisher %+v; subscriber %+v", len(fs), len(got), ss.SeqGaps, gatewaytest.EndpointStatus(pub, "pub"), ss)
	if ps := gatewaytest.EndpointStatus(pub, "pub"); ps.Reconnects != 1 {
		t.Fatalf("publisher reconnects %d", ps.Reconnects)
	}
	if last != len(fs)-1 || len(ss.Dropped) != 0 {
		t.Fatalf("last frame %d, subscriber %+v", last, ss)
	}
}
