package gateway

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
)

const unitFile = "../configs/fieldgate.service"

// kindFamilies lists the socket families each endpoint kind opens. A kind
// missing here fails TestSystemdUnitFamilies: add it, and its families to
// the unit's RestrictAddressFamilies. TestHILUnitAddressFamilies checks the
// table against the socket(2) calls of a running gateway.
var kindFamilies = map[string][]string{
	"can":        {"AF_CAN"},
	"isotp":      {"AF_CAN"},
	"j1939":      {"AF_CAN"},
	"udp":        {"AF_INET", "AF_INET6", "AF_ALG"}, // AF_ALG: auth.provider kernel or auto
	"tcp":        {"AF_INET", "AF_INET6"},
	"socketcand": {"AF_INET", "AF_INET6", "AF_CAN"}, // AF_CAN: ISO-TP mode and muxfilter
	"vsock":      {"AF_VSOCK"},
	"unix":       {"AF_UNIX"},
	"tipc":       {"AF_TIPC"},
	"slcan":      {"AF_INET", "AF_INET6", "AF_BLUETOOTH"}, // tcp and rfcomm transports; serial and pty use files
	"rfcomm":     {"AF_BLUETOOTH"},                        // and an HCI socket (AF_BLUETOOTH) to check the kernel has Bluetooth
	"l2cap":      {"AF_BLUETOOTH"},
	"nats":       {"AF_INET", "AF_INET6"}, // client and embedded server
	"packet":     {"AF_PACKET"},
	"log":        nil,
	"capture":    nil,

	"udp_multicast": {"AF_INET", "AF_INET6"},
	"mqtt":          {"AF_INET", "AF_INET6"},
	"console":       nil, // frames come over the admin port (the engine's)
}

// engineFamilies are opened by the gateway whatever its endpoints: the
// admin server (AF_INET, AF_INET6), sd_notify (AF_UNIX), link state, CAN
// bit rates and can-gw rules (AF_NETLINK).
var engineFamilies = []string{"AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK"}

// unitKeys reads the [Service] section of a unit file: each key's values,
// space-separated, over all its lines.
func unitKeys(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string][]string{}
	section := ""
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			section = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not key=value", path, line)
		}
		if section == "[Service]" {
			keys[k] = append(keys[k], strings.Fields(v)...)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// unitFamilies returns the unit's RestrictAddressFamilies, which must be an
// allow list.
func unitFamilies(t *testing.T) []string {
	t.Helper()
	fams := unitKeys(t, unitFile)["RestrictAddressFamilies"]
	if len(fams) == 0 {
		t.Fatalf("%s: no RestrictAddressFamilies", unitFile)
	}
	for _, f := range fams {
		if strings.HasPrefix(f, "~") || f == "none" {
			t.Fatalf("%s: RestrictAddressFamilies=%s: keep it an allow list of families", unitFile, f)
		}
	}
	return fams
}

// TestSystemdUnitFamilies: the unit allows every socket family the
// gateway's kinds and engine open (a family left out fails with
// EAFNOSUPPORT: packet endpoints failed, and auth.provider: auto fell back
// to Go crypto without saying so), and every registered kind is in
// kindFamilies.
func TestSystemdUnitFamilies(t *testing.T) {
	fams := unitFamilies(t)
	need := map[string][]string{}
	for _, f := range engineFamilies {
		need[f] = append(need[f], "the engine")
	}
	for _, name := range config.KindNames() {
		if strings.HasPrefix(name, "test-") {
			continue
		}
		fs, ok := kindFamilies[name]
		if !ok {
			t.Errorf("kind %q is not in kindFamilies: list the socket families it opens (and add them to %s)", name, unitFile)
		}
		for _, f := range fs {
			need[f] = append(need[f], name)
		}
	}
	// No kind opens AF_BLUETOOTH yet; it is allowed so that one that
	// does is not refused under the unit (configs/README.md).
	need["AF_BLUETOOTH"] = append(need["AF_BLUETOOTH"], "Bluetooth kinds to come")
	var missing []string
	for f, who := range need {
		if !slices.Contains(fams, f) {
			missing = append(missing, f+" ("+strings.Join(who, ", ")+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s: RestrictAddressFamilies=%s lacks %s", unitFile, strings.Join(fams, " "), strings.Join(missing, ", "))
	}
}

// TestSystemdUnitDirectories: the writable log directory is one systemd
// creates (LogsDirectory=), not a ReadWritePaths= entry naming a directory
// nothing creates (the service then fails to start with status 226/NAMESPACE).
func TestSystemdUnitDirectories(t *testing.T) {
	keys := unitKeys(t, unitFile)
	if got := keys["LogsDirectory"]; !slices.Equal(got, []string{"fieldgate"}) {
		t.Errorf("LogsDirectory=%v, want fieldgate", got)
	}
	if got := keys["RuntimeDirectory"]; !slices.Equal(got, []string{"fieldgate"}) {
		t.Errorf("RuntimeDirectory=%v, want fieldgate", got)
	}
	if got := keys["ReadWritePaths"]; len(got) > 0 {
		t.Errorf("ReadWritePaths=%v: the unit's directories are LogsDirectory= and RuntimeDirectory=, which systemd creates", got)
	}
	if got := keys["ProtectSystem"]; !slices.Equal(got, []string{"strict"}) {
		t.Errorf("ProtectSystem=%v, want strict", got)
	}
}

// readmeCapabilities reads the capability table of configs/README.md's
// "Running under systemd" section: capability → whether the unit grants it.
func readmeCapabilities(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../configs/README.md")
	if err != nil {
		t.Fatal(err)
	}
	caps := map[string]bool{}
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			in = line == "## Running under systemd"
			continue
		}
		cells := strings.Split(line, "|")
		if !in || len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`CAP_") {
			continue
		}
		caps[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2]) == "yes"
	}
	if len(caps) == 0 {
		t.Fatal(`configs/README.md: no capability table under "## Running under systemd"`)
	}
	return caps
}

// TestSystemdUnitCapabilities: the unit grants exactly the capabilities
// configs/README.md says it grants, as ambient and bounding set alike:
// CAP_NET_RAW (packet endpoints, promiscuous mode included) and
// CAP_NET_ADMIN (can-gw offload, CAN receive buffers).
func TestSystemdUnitCapabilities(t *testing.T) {
	keys := unitKeys(t, unitFile)
	amb, bound := keys["AmbientCapabilities"], keys["CapabilityBoundingSet"]
	sort.Strings(amb)
	sort.Strings(bound)
	var doc []string
	for c, granted := range readmeCapabilities(t) {
		if granted {
			doc = append(doc, c)
		}
	}
	sort.Strings(doc)
	want := []string{"CAP_NET_ADMIN", "CAP_NET_RAW"}
	if !slices.Equal(amb, want) || !slices.Equal(bound, want) || !slices.Equal(doc, want) {
		t.Errorf("AmbientCapabilities=%v, CapabilityBoundingSet=%v, configs/README.md grants %v; want %v in all three", amb, bound, doc, want)
	}
}

// TestSystemdUnitVerifies runs systemd-analyze verify on a copy of the
// unit whose fieldgate is this test binary (verify wants the binary to
// exist): no warning at all. systemd-analyze security then rates the
// hardening (offline): it may not fall back below today's level.
func TestSystemdUnitVerifies(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze not installed (apt-get install systemd; make deps installs it): %v", err)
	}
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const bin = "/usr/local/bin/fieldgate"
	if strings.Count(string(b), bin) != 2 {
		t.Fatalf("%s: expected ExecStartPre and ExecStart to run %s", unitFile, bin)
	}
	path := filepath.Join(t.TempDir(), "fieldgate.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(b), bin, exe)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Exposure is rated 0-10 (printed) or 0-100 (--threshold): the old
	// unit rated 6.5, this one 4.3.
	out, err = exec.Command(sa, "security", "--offline=yes", "--threshold=45", path).CombinedOutput()
	rating := string(out)
	if i := strings.Index(rating, "Overall exposure level"); i >= 0 {
		rating = strings.TrimSpace(rating[i:])
	}
	if err != nil {
		t.Errorf("systemd-analyze security --threshold=45: %v: %s", err, rating)
	} else {
		t.Log(rating)
	}
}
