package netnstest

import (
	"net"
	"os/exec"
	"strings"
	"testing"
)

func TestNewCreatesPairsAndCleansUp(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		n := New(t, "fgnt", Pair{A: "x0", B: "y0", MACA: "02:00:00:00:00:01", MTU: 9000})
		name = n.Name
		var ifs []net.Interface
		if err := n.Do(func() (err error) { ifs, err = net.Interfaces(); return err }); err != nil {
			t.Fatal(err)
		}
		got := map[string]net.Interface{}
		for _, i := range ifs {
			got[i.Name] = i
		}
		if x, ok := got["x0"]; !ok || x.MTU != 9000 || x.HardwareAddr.String() != "02:00:00:00:00:01" {
			t.Errorf("x0 in namespace = %+v (present %v), want MTU 9000 and MAC 02:00:00:00:00:01", x, ok)
		}
		if _, ok := got["y0"]; !ok {
			t.Errorf("y0 missing from the namespace's links %v", got)
		}
		if _, err := net.InterfaceByName("x0"); err == nil {
			t.Errorf("x0 is visible outside the namespace")
		}
	})
	out, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(out), name) {
		t.Errorf("namespace %s still exists after its test ended: %s", name, out)
	}
}
