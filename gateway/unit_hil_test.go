//go:build hil

package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// familyNumbers maps the family names systemd's RestrictAddressFamilies
// takes to their numbers.
var familyNumbers = map[string]int{
	"AF_UNIX": unix.AF_UNIX, "AF_INET": unix.AF_INET, "AF_INET6": unix.AF_INET6,
	"AF_NETLINK": unix.AF_NETLINK, "AF_PACKET": unix.AF_PACKET, "AF_CAN": unix.AF_CAN,
	"AF_ALG": unix.AF_ALG, "AF_VSOCK": unix.AF_VSOCK, "AF_TIPC": unix.AF_TIPC,
	"AF_BLUETOOTH": unix.AF_BLUETOOTH,
}

// seccompEnv makes the test binary, started again, restrict socket(2) to
// the families it lists (comma-separated) and exec fieldgate with its
// arguments: what systemd does for RestrictAddressFamilies= (a seccomp
// filter: socket(2) with another family fails with EAFNOSUPPORT).
const seccompEnv = "FIELDGATE_SECCOMP_FAMILIES"

// TestHILSeccompExec is the helper process of startRestricted; run
// directly it skips.
func TestHILSeccompExec(t *testing.T) {
	fams := os.Getenv(seccompEnv)
	if fams == "" {
		t.Skip("helper process of TestHILUnitAddressFamilies")
	}
	runtime.LockOSThread() // the filter is the thread's; exec keeps it
	if err := restrictFamilies(strings.Split(fams, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "seccomp:", err)
		os.Exit(3)
	}
	args := flagArgs()
	bin, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	err = syscall.Exec(bin, args, os.Environ())
	fmt.Fprintln(os.Stderr, "exec:", err)
	os.Exit(3)
}

// flagArgs returns the arguments after "--" on the command line.
func flagArgs() []string {
	for i, a := range os.Args {
		if a == "--" {
			return os.Args[i+1:]
		}
	}
	return nil
}

// restrictFamilies installs a seccomp filter on the calling thread that
// fails socket(2) with EAFNOSUPPORT for every family not in names.
func restrictFamilies(names []string) error {
	const (
		ldW   = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret   = unix.BPF_RET | unix.BPF_K
		arch  = 0xC000003E // AUDIT_ARCH_X86_64
		allow = unix.SECCOMP_RET_ALLOW
	)
	if runtime.GOARCH != "amd64" {
		return fmt.Errorf("the filter is written for amd64, not %s", runtime.GOARCH)
	}
	var fams []uint32
	for _, n := range names {
		f, ok := familyNumbers[n]
		if !ok {
			return fmt.Errorf("unknown family %q", n)
		}
		fams = append(fams, uint32(f))
	}
	// seccomp_data: nr at 0, arch at 4, args[0] (low half) at 16.
	prog := []unix.SockFilter{
		{Code: ldW, K: 4},
		{Code: jeq, K: arch, Jt: 1},
		{Code: ret, K: unix.SECCOMP_RET_KILL_PROCESS},
		{Code: ldW, K: 0},
		{Code: jeq, K: unix.SYS_SOCKET, Jf: uint8(len(fams) + 2)},
		{Code: ldW, K: 16},
	}
	for i, f := range fams {
		prog = append(prog, unix.SockFilter{Code: jeq, K: f, Jt: uint8(len(fams) - i)})
	}
	prog = append(prog,
		unix.SockFilter{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EAFNOSUPPORT)},
		unix.SockFilter{Code: ret, K: allow})
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_NO_NEW_PRIVS: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&fp)), 0, 0); err != nil {
		return fmt.Errorf("PR_SET_SECCOMP: %w", err)
	}
	return nil
}

// everyKindConfig writes a configuration with one endpoint of every kind
// (the udp one authenticated through AF_ALG) into dir and returns its
// path and the admin address.
func everyKindConfig(t *testing.T, dir string, admin int) (string, string) {
	t.Helper()
	key := filepath.Join(dir, "udp.key")
	if err := os.WriteFile(key, []byte(strings.Repeat("ab", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", admin)
	yaml := fmt.Sprintf(`admin: {listen: %q}
endpoints:
  bus: {kind: can, interface: vcan0}
  bus1: {kind: can, interface: vcan1}
  tp: {kind: isotp, interface: vcan1, rx_id: 0x7E8, tx_id: 0x7E0}
  j: {kind: j1939, interface: vcan1, address: 0x80}
  u: {kind: udp, listen: "127.0.0.1:29871", peer: "127.0.0.1:29872", auth: {key_file: %s, provider: kernel}}
  t: {kind: tcp, mode: server, listen: "127.0.0.1:29873"}
  sc: {kind: socketcand, listen: "127.0.0.1:29874", bus: vcan0, interface: vcan0}
  vs: {kind: vsock, mode: server, port: 29875}
  ux: {kind: unix, mode: server, path: %s}
  ti: {kind: tipc, mode: server, service: {type: 18888, instance: 29876}}
  lan: {kind: packet, interface: fgu0}
  rec: {kind: log, path: %s}
  cap: {kind: capture, path: %s}
routes:
  - {name: out, from: [bus], to: [u, t, sc, vs, ux, ti, rec, cap]}
  - {name: gw, from: [bus], to: [bus1]}
  - {name: pdus, from: [tp, j], to: [u]}
  - {name: eth, from: [lan], to: [cap]}
`, addr, key, filepath.Join(dir, "fg.sock"), filepath.Join(dir, "rec.log"), filepath.Join(dir, "cap.pcapng"))
	path := filepath.Join(dir, "all.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, addr
}

// vethPair creates the veth pair fgu0/fgu1, up, for the test's packet
// endpoints.
func vethPair(t *testing.T) {
	t.Helper()
	exec.Command("ip", "link", "del", "fgu0").Run()
	for _, args := range [][]string{
		{"link", "add", "fgu0", "type", "veth", "peer", "name", "fgu1"},
		{"link", "set", "fgu0", "up"}, {"link", "set", "fgu1", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", "fgu0").Run() })
}

// healthy waits until the admin port answers /healthz: true with 200,
// false with another status or when the process ended first.
func healthy(t *testing.T, addr string, done <-chan struct{}) (bool, string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return false, "process exited"
		default:
		}
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			var b strings.Builder
			buf := make([]byte, 4096)
			n, _ := resp.Body.Read(buf)
			b.Write(buf[:n])
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, b.String()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the gateway neither answered nor exited in 30 s")
	return false, ""
}

// runRestricted runs `fieldgate run -c conf` with socket(2) restricted to
// fams, checks /healthz, sends a frame on vcan0 and waits for it in the
// log, stops the gateway and returns whether it was healthy and its
// stderr.
func runRestricted(t *testing.T, fams []string, conf, addr string) (bool, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHILSeccompExec$", "--", "fieldgate", "run", "-c", conf)
	cmd.Env = append(os.Environ(), seccompEnv+"="+strings.Join(fams, ","))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	ok, body := healthy(t, addr, done)
	if ok {
		cansend(t, "vcan0", "123#C0FFEE")
		deadline := time.Now().Add(10 * time.Second)
		for {
			b, _ := os.ReadFile(filepath.Join(filepath.Dir(conf), "rec.log"))
			if strings.Contains(string(b), "123#C0FFEE") {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("the frame sent on vcan0 did not reach the log:\n%s", b)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if resp, err := http.Get("http://" + addr + "/status"); err == nil {
			var st Status
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if len(st.Endpoints) != 13 {
				t.Errorf("%d endpoints running, want 13", len(st.Endpoints))
			}
		}
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	return ok, body + "\n" + stderr.String()
}

// TestHILUnitAddressFamilies runs a gateway with one endpoint of every
// kind (udp authenticated through AF_ALG, can-gw offload, packet on a
// veth) under a seccomp filter that does what the unit's
// RestrictAddressFamilies= does: with the unit's families it starts, is
// healthy, forwards a frame and uses the kernel's AES-GCM; with the old
// unit's families (no AF_PACKET, AF_ALG, AF_TIPC) it does not start, so
// the filter bites. TestSystemdUnitFamilies keeps the same list on the
// host.
func TestHILUnitAddressFamilies(t *testing.T) {
	vethPair(t)
	dir := t.TempDir()
	conf, addr := everyKindConfig(t, dir, 9274)
	fams := unitFamilies(t)
	ok, out := runRestricted(t, fams, conf, addr)
	if !ok {
		t.Fatalf("under RestrictAddressFamilies=%s the gateway is not healthy:\n%s", strings.Join(fams, " "), out)
	}
	if !strings.Contains(out, `provider="kernel`) {
		t.Errorf("authenticated UDP does not run on the kernel's AES-GCM (AF_ALG):\n%s", out)
	}
	if strings.Contains(out, "address family not supported") {
		t.Errorf("a socket family was refused:\n%s", out)
	}
	t.Logf("healthy with every kind under RestrictAddressFamilies=%s", strings.Join(fams, " "))

	old := []string{"AF_CAN", "AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_VSOCK"}
	os.Remove(filepath.Join(dir, "fg.sock"))
	ok, out = runRestricted(t, old, conf, addr)
	if ok || !strings.Contains(out, "address family not supported") {
		t.Errorf("under the old unit's families the gateway was healthy or failed otherwise (ok %v):\n%s", ok, out)
	}
}

// capCommand runs fieldgate as nobody with only the given capabilities
// (setpriv), like the unit's AmbientCapabilities= for a non-root user.
func capCommand(caps []string, args ...string) *exec.Cmd {
	c := "-all"
	for _, cp := range caps {
		c += ",+" + cp
	}
	sp := []string{"--reuid=65534", "--regid=65534", "--clear-groups",
		"--inh-caps=" + c, "--ambient-caps=" + c, "--bounding-set=" + c, "--"}
	return exec.Command("setpriv", append(sp, args...)...)
}

// promiscuity returns the interface's promiscuity count (ip -d: every
// holder of promiscuous mode, packet sockets included).
func promiscuity(t *testing.T, iface string) int {
	t.Helper()
	out, err := exec.Command("ip", "-d", "-j", "link", "show", "dev", iface).Output()
	if err != nil {
		t.Fatalf("ip -d -j link show %s: %v", iface, err)
	}
	var links []struct {
		Promiscuity int `json:"promiscuity"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		t.Fatalf("ip -j: %v %s", err, out)
	}
	return links[0].Promiscuity
}

// TestHILCapabilities checks configs/README.md's capability table as an
// unprivileged user (nobody) with only the capabilities named:
//   - a packet endpoint with promiscuous: true starts with CAP_NET_RAW
//     alone, and the interface is promiscuous while it runs, not after;
//     without CAP_NET_RAW it fails (the AF_PACKET socket is refused);
//   - a route with offload: require starts with CAP_NET_ADMIN (the route
//     runs in can-gw) and not with CAP_NET_RAW alone.
func TestHILCapabilities(t *testing.T) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Fatalf("setpriv (util-linux) not found: %v", err)
	}
	vethPair(t)
	dir, err := os.MkdirTemp("", "fgcaps")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	write := func(name, yaml string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const addr = "127.0.0.1:9275"
	promisc := write("promisc.yaml", `admin: {listen: "`+addr+`"}
endpoints:
  lan: {kind: packet, interface: fgu0, promiscuous: true}
  cap: {kind: capture, path: `+filepath.Join(dir, "cap.pcapng")+`}
routes:
  - {from: [lan], to: [cap]}
`)
	offload := write("offload.yaml", `admin: {listen: "`+addr+`"}
endpoints:
  a: {kind: can, interface: vcan0}
  b: {kind: can, interface: vcan1}
routes:
  - {name: fwd, from: [a], to: [b], offload: require}
`)
	// run starts the gateway with caps and reports whether it became
	// healthy; while it is, during calls fn.
	run := func(caps []string, conf string, during func()) (bool, string) {
		t.Helper()
		cmd := capCommand(caps, "fieldgate", "run", "-c", conf)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		ok, body := healthy(t, addr, done)
		if ok && during != nil {
			during()
		}
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		return ok, body + "\n" + stderr.String()
	}

	if p := promiscuity(t, "fgu0"); p != 0 {
		t.Fatalf("fgu0 promiscuity %d before the test", p)
	}
	ok, out := run([]string{"net_raw"}, promisc, func() {
		if p := promiscuity(t, "fgu0"); p != 1 {
			t.Errorf("fgu0 promiscuity %d while the endpoint runs with CAP_NET_RAW only, want 1", p)
		}
	})
	if !ok {
		t.Errorf("promiscuous packet endpoint with CAP_NET_RAW only did not start:\n%s", out)
	}
	if p := promiscuity(t, "fgu0"); p != 0 {
		t.Errorf("fgu0 promiscuity %d after the gateway stopped, want 0", p)
	}
	if ok, out := run(nil, promisc, nil); ok || !strings.Contains(out, "operation not permitted") {
		t.Errorf("packet endpoint without capabilities: healthy %v, want a refusal (EPERM):\n%s", ok, out)
	}

	var offloaded bool
	ok, out = run([]string{"net_admin"}, offload, func() {
		resp, err := http.Get("http://" + addr + "/status")
		if err != nil {
			t.Fatal(err)
		}
		var st Status
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		offloaded = len(st.Routes) == 1 && st.Routes[0].Offloaded
	})
	if !ok || !offloaded {
		t.Errorf("offload: require with CAP_NET_ADMIN: healthy %v, offloaded %v:\n%s", ok, offloaded, out)
	}
	if ok, out := run([]string{"net_raw"}, offload, nil); ok || !strings.Contains(out, "offload: require") {
		t.Errorf("offload: require without CAP_NET_ADMIN: healthy %v, want a refusal naming offload:\n%s", ok, out)
	}
	exec.Command("cangw", "-F").Run()
}
