//go:build hil

package can

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// isotpStampRe matches the isotp tools' timestamps: (SEC.USEC) and
// (YYYY-MM-DD HH:MM:SS.USEC).
var isotpStampRe = regexp.MustCompile(`\((\d{4}-\d\d-\d\d \d\d:\d\d:)?\d+\.\d{6}\) `)

// maskDigits replaces the digits of every timestamp by X: the layout
// stays, the values (which the tools read at slightly different times)
// go.
func maskDigits(s string) string {
	return isotpStampRe.ReplaceAllStringFunc(s, func(m string) string {
		return regexp.MustCompile(`\d`).ReplaceAllString(m, "X")
	})
}

// isotpSend sends pdu (hex bytes) with isotpsend; when a receiver is
// given (isotprecv arguments), it is started first and provides the flow
// control.
func isotpSend(t *testing.T, sendArgs []string, pdu string, recvArgs []string) {
	t.Helper()
	var recv *tool
	if recvArgs != nil {
		recv = startTool(t, 1, "isotprecv", append(recvArgs, "vcan0")...)
	}
	cmd := exec.Command("isotpsend", append(sendArgs, "vcan0")...)
	cmd.Stdin = strings.NewReader(pdu)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("isotpsend %q: %v %s", sendArgs, err, out)
	}
	if recv != nil {
		recv.wait(t, 20*time.Second)
	}
}

func hexBytes(n int, first byte) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%02X", first+byte(i))
	}
	return strings.Join(parts, " ")
}

// isotpTraffic is a diagnostic exchange between a tester (7E0) and an ECU
// (7E8) on vcan0: single frames, a segmented response with flow control
// (block size 2, STmin 20 ms), a negative response, an unknown service, a
// CAN FD single frame with length escape and a segmented FD transfer.
func isotpTraffic(t *testing.T, fd bool) {
	tester := []string{"-s", "7E0", "-d", "7E8"}
	ecu := []string{"-s", "7E8", "-d", "7E0"}
	isotpSend(t, tester, "22 F1 90", nil)
	isotpSend(t, ecu, "62 F1 90 "+hexBytes(17, 0x41), append(append([]string{}, tester...), "-b", "2", "-m", "14"))
	isotpSend(t, ecu, "7F 22 31", nil)
	isotpSend(t, ecu, "50 03 00 32 01 F4", nil)
	isotpSend(t, tester, "A5 01", nil)
	isotpSend(t, tester, "10 03", nil)
	isotpSend(t, tester, "2E F1 90 "+hexBytes(30, 0x20), append(append([]string{}, ecu...), "-m", "F3"))
	if fd {
		ll := []string{"-L", "72:64:1"}
		isotpSend(t, append(append([]string{}, tester...), ll...), hexBytes(40, 0x30), nil)
		isotpSend(t, append(append([]string{}, tester...), ll...), hexBytes(150, 0), append(append([]string{}, ecu...), ll...))
		isotpSend(t, append(append([]string{}, ecu...), ll...), hexBytes(5, 0x61), nil)
	}
}

// settle waits until both tools' outputs have the same number of lines
// and have not changed for half a second.
func settle(t *testing.T, a, b *tool) {
	t.Helper()
	last, stable := "", 0
	ok := waitFor(20*time.Second, func() bool {
		cur := a.out.String() + "\x00" + b.out.String()
		if cur == last && lineCount(a.out.String(), nil) == lineCount(b.out.String(), nil) {
			stable++
		} else {
			stable = 0
		}
		last = cur
		return stable >= 50
	})
	if !ok {
		t.Fatalf("outputs do not settle:\n%s\n---\n%s", a.out.String(), b.out.String())
	}
}

// TestHILISOTPSniffVsIsotpsniffer and ...VsIsotpdump run the can-utils
// tool and `fieldgate can isotp sniff|dump` side by side over the same
// exchange and compare their output byte for byte (timestamp digits
// masked).
func TestHILISOTPDumpVsIsotpdump(t *testing.T) {
	ids := []string{"-s", "7E0", "-d", "7E8"}
	modes := []struct {
		name string
		args []string
		fd   bool
	}{
		{"default", nil, true},
		{"-a", []string{"-a"}, false},
		{"-u", []string{"-u"}, false},
		{"-a -u -c", []string{"-a", "-u", "-c"}, true},
		{"-ta", []string{"-ta"}, false},
		{"-tz", []string{"-tz"}, false},
		{"-t d -tA", []string{"-t", "d", "-tA"}, false},
		{"-x any", []string{"-x", "any"}, false},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			args := append(append(append([]string{}, ids...), m.args...), "vcan0")
			ref := startTool(t, 2, "isotpdump", args...)
			fg := startTool(t, 2, "fieldgate", append([]string{"can", "isotp", "dump"}, args...)...)
			isotpTraffic(t, m.fd)
			settle(t, ref, fg)
			ref.stop(t)
			fg.stop(t)
			if lineCount(ref.out.String(), nil) < 10 {
				t.Fatalf("isotpdump printed little:\n%s", ref.out.String())
			}
			if d := diffText(maskDigits(ref.out.String()), maskDigits(fg.out.String())); d != "" {
				t.Fatalf("differs at %s", d)
			}
			t.Logf("identical: %d lines", lineCount(ref.out.String(), nil))
		})
	}
}

func TestHILISOTPSniffVsIsotpsniffer(t *testing.T) {
	ids := []string{"-s", "7E0", "-d", "7E8"}
	modes := []struct {
		name string
		args []string
		fd   bool
	}{
		{"default", nil, false},
		{"-f 1", []string{"-f", "1"}, false},
		{"-f2 -c", []string{"-f2", "-c"}, false},
		{"-h 5", []string{"-h", "5"}, false},
		{"-h 6", []string{"-h", "6"}, false},
		{"-ta", []string{"-ta"}, false},
		{"-tz", []string{"-tz"}, false},
		{"-tA", []string{"-tA"}, false},
		{"-L 72:64:1", []string{"-L", "72:64:1"}, true},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			args := append(append(append([]string{}, ids...), m.args...), "vcan0")
			ref := startTool(t, 2, "isotpsniffer", args...)
			fg := startTool(t, 2, "fieldgate", append([]string{"can", "isotp", "sniff"}, args...)...)
			isotpTraffic(t, m.fd)
			settle(t, ref, fg)
			// Both quit on a line of input.
			for _, tl := range []*tool{ref, fg} {
				tl.stdin.Write([]byte("\n"))
				tl.wait(t, 10*time.Second)
			}
			// With -L only the socket for -s is CAN FD (as isotpsniffer
			// sets it): the classic PDUs from 7E0 and the FD ones from
			// 7E8 are not seen.
			if want := map[bool]int{false: 8, true: 5}[m.fd]; lineCount(ref.out.String(), nil) < want {
				t.Fatalf("isotpsniffer printed little:\n%s", ref.out.String())
			}
			if d := diffText(maskDigits(ref.out.String()), maskDigits(fg.out.String())); d != "" {
				t.Fatalf("differs at %s", d)
			}
			t.Logf("identical: %d lines", lineCount(ref.out.String(), nil))
		})
	}
}
