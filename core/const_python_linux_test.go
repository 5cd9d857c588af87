package core

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestNewerPythonNames checks the names CPython 3.12/3.13 added to the
// socket module. /usr/bin/python3 gives the value where it has the name;
// where it is older (Debian 12's 3.11), the glibc headers CPython takes
// them from do, and without those the test is skipped.
func TestNewerPythonNames(t *testing.T) {
	names := map[string]int64{
		"ETHERTYPE_ARP": ETHERTYPE_ARP, "ETHERTYPE_IP": ETHERTYPE_IP, "ETHERTYPE_IPV6": ETHERTYPE_IPV6,
		"ETHERTYPE_VLAN": ETHERTYPE_VLAN, "NI_IDN": NI_IDN,
		"TCP_CC_INFO": TCP_CC_INFO, "TCP_FASTOPEN_KEY": TCP_FASTOPEN_KEY, "TCP_FASTOPEN_NO_COOKIE": TCP_FASTOPEN_NO_COOKIE,
		"TCP_INQ": TCP_INQ, "TCP_MD5SIG_EXT": TCP_MD5SIG_EXT, "TCP_QUEUE_SEQ": TCP_QUEUE_SEQ,
		"TCP_REPAIR": TCP_REPAIR, "TCP_REPAIR_OPTIONS": TCP_REPAIR_OPTIONS, "TCP_REPAIR_QUEUE": TCP_REPAIR_QUEUE,
		"TCP_REPAIR_WINDOW": TCP_REPAIR_WINDOW, "TCP_SAVE_SYN": TCP_SAVE_SYN, "TCP_SAVED_SYN": TCP_SAVED_SYN,
		"TCP_THIN_DUPACK": TCP_THIN_DUPACK, "TCP_THIN_LINEAR_TIMEOUTS": TCP_THIN_LINEAR_TIMEOUTS,
		"TCP_TX_DELAY": TCP_TX_DELAY, "TCP_ZEROCOPY_RECEIVE": TCP_ZEROCOPY_RECEIVE,
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	js, _ := json.Marshal(list)
	var py map[string]*int64
	if err := json.Unmarshal(python(t, `
import socket, json, sys
print(json.dumps({n: getattr(socket, n, None) for n in json.loads(sys.argv[1])}))`, string(js)), &py); err != nil {
		t.Fatal(err)
	}
	headers := map[string]int64{}
	define := regexp.MustCompile(`(?m)^#\s*define\s+((?:TCP|ETHERTYPE|NI)_[A-Z0-9_]+)\s+(0x[0-9a-fA-F]+|[0-9]+)\b`)
	for _, h := range []string{"/usr/include/netinet/tcp.h", "/usr/include/net/ethernet.h", "/usr/include/netdb.h"} {
		b, err := os.ReadFile(h)
		if err != nil {
			continue
		}
		for _, m := range define.FindAllStringSubmatch(string(b), -1) {
			if v, err := strconv.ParseInt(m[2], 0, 64); err == nil {
				headers[m[1]] = v
			}
		}
	}
	checked := 0
	for n, v := range names {
		switch want, inHdr := headers[n]; {
		case py[n] != nil:
			if v != *py[n] {
				t.Errorf("%s = %d, CPython %d", n, v, *py[n])
			}
			checked++
		case inHdr:
			if v != want {
				t.Errorf("%s = %d, the glibc header %d", n, v, want)
			}
			checked++
		default:
			t.Logf("%s: neither this CPython nor a glibc header has it", n)
		}
	}
	if checked == 0 {
		t.Skip("neither CPython 3.12+ nor the glibc headers to compare with")
	}
	if checked != len(names) {
		t.Errorf("checked %d of %d names", checked, len(names))
	}
}
