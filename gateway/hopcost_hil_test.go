//go:build hil

package gateway

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/fieldgate/fieldgate/can"
)

var (
	hopVariants = flag.String("fg.hopvariants", "", "BenchmarkHILHopCost: user-space forwarders to measure besides can-gw (poll, block, block-raw, ppoll, c, fieldgate); empty: the benchmark does not run")
	hopStrace   = flag.Bool("fg.hopstrace", false, "BenchmarkHILHopCost: also count each user-space forwarder's system calls over one run (strace -c -f) at the first rate")
)

// BenchmarkHILHopCost measures what the way a user-space forwarder waits
// for a frame costs in latency, with the kernel-generated load and kernel
// timestamps of BenchmarkHILKernelLoadLatency (same runs, same rotation of
// forwarders between rounds), against can-gw. The forwarders
// (TestHILHopForwarder, each in a process of its own, GOMAXPROCS=1 as in
// the guest):
//
//   - poll: the runtime poller (epoll) wakes the goroutine, which reads
//     with a direct recvmmsg and writes with a direct sendmmsg (the can
//     package's RawConn: what the bare forwarder and the can kind do);
//   - block: recvmmsg on a blocking socket the runtime does not know, as a
//     bookkept system call (the P is released while it waits);
//   - block-raw: the same without the runtime's bookkeeping (the goroutine
//     keeps its P while it waits: only possible when nothing else has to
//     run);
//   - ppoll: a non-blocking socket the runtime does not know, read with
//     direct recvmmsg calls, waiting in ppoll(2) (a bookkept call) on it
//     and an eventfd (what a loop that can be stopped would wait on);
//   - c: the same loop as block in C (cc -O2): the floor of a user-space
//     hop in this guest, without any language runtime;
//   - fieldgate: `fieldgate run`, as BenchmarkHILKernelLoadLatency.
//
// It is an investigation, not a regression figure, and takes about 1.5
// minutes per forwarder: it runs only when -fg.hopvariants names the
// forwarders (BENCHMARKS.md gives the command), not in every `make bench`.
func BenchmarkHILHopCost(b *testing.B) {
	if *hopVariants == "" {
		b.Skip("-fg.hopvariants is empty: set it (e.g. poll,block,c,fieldgate) to run this investigation")
	}
	rates, err := parseRates(*klRates)
	if err != nil {
		b.Fatalf("-fg.klrates: %v", err)
	}
	fwds := []klForwarder{klCangw{}}
	for _, v := range strings.Split(*hopVariants, ",") {
		switch v = strings.TrimSpace(v); v {
		case "poll", "block", "block-raw", "ppoll", "c":
			fwds = append(fwds, &klHop{variant: v})
		case "fieldgate":
			fwds = append(fwds, &klFieldgate{admin: "127.0.0.1:9254"})
		default:
			b.Fatalf("-fg.hopvariants: unknown forwarder %q", v)
		}
	}
	ivals := map[float64]time.Duration{}
	for _, rate := range rates {
		ivals[rate] = klCalibrate(b, rate)
	}
	if *hopStrace {
		for _, f := range fwds[1:] {
			stop := f.start(b)
			hopStraceRun(b, f, ivals[rates[0]], int(rates[0]*klRun.Seconds()))
			stop()
		}
	}
	res := map[string]map[float64][]klResult{}
	for _, f := range fwds {
		res[f.name()] = map[float64][]klResult{}
	}
	for round := range *klRounds {
		k := round % len(fwds)
		order := append(fwds[k:len(fwds):len(fwds)], fwds[:k]...)
		for _, f := range order {
			stop := f.start(b)
			for _, rate := range rates {
				r := klRun1(b, f, ivals[rate], int(rate*klRun.Seconds()))
				res[f.name()][rate] = append(res[f.name()][rate], r)
				b.Logf("round %d %-9s @%4.0f/s: %v", round+1, f.name(), rate, r)
			}
			stop()
		}
	}
	for _, rate := range rates {
		k := res["can-gw"][rate]
		kp99 := medianOf(k, func(r klResult) float64 { return ms(r.P99) })
		for _, f := range fwds {
			rs := res[f.name()][rate]
			var perRound []klResult
			for i := range min(len(k), len(rs)) {
				perRound = append(perRound, klResult{ratio: ms(rs[i].P99) / max(ms(k[i].P99), 1e-3)})
			}
			p99 := medianOf(rs, func(r klResult) float64 { return ms(r.P99) })
			b.Logf("%-9s @%4.0f/s over %d rounds, median [min, max]: p50 %s, p99 %s (÷ can-gw: medians %.2f, per round %s), max %s, lost %s, vCPU busy %s, CPU/frame %s",
				f.name(), rate, len(rs),
				spread(rs, func(r klResult) float64 { return ms(r.P50) }, "%.3f ms"),
				spread(rs, func(r klResult) float64 { return ms(r.P99) }, "%.3f ms"),
				p99/max(kp99, 1e-3), spread(perRound, func(r klResult) float64 { return r.ratio }, "%.2f"),
				spread(rs, func(r klResult) float64 { return ms(r.Max) }, "%.2f ms"),
				spread(rs, func(r klResult) float64 { return float64(r.Lost) }, "%.0f"),
				spread(rs, func(r klResult) float64 { return 100 * r.Busy }, "%.0f%%"),
				spread(rs, func(r klResult) float64 { return r.CPUPerFrame.Seconds() * 1e6 }, "%.0f µs"))
			b.ReportMetric(1000*p99, strings.ReplaceAll(f.name(), "-", "")+fmt.Sprintf("_p99_us@%.0f", rate))
		}
	}
}

// hopStraceRun runs f at one rate with strace -c -f attached and logs the
// system call counts per frame (strace slows every call: the latencies of
// this run are not recorded).
func hopStraceRun(b *testing.B, f klForwarder, ival time.Duration, n int) {
	out := filepath.Join(b.TempDir(), "strace.txt")
	st := exec.Command("strace", "-c", "-f", "-o", out, "-p", fmt.Sprint(f.pid()))
	if err := st.Start(); err != nil {
		b.Logf("strace: %v", err)
		return
	}
	time.Sleep(2 * time.Second) // attached to every thread
	r := klRun1(b, f, ival, n)
	st.Process.Signal(os.Interrupt)
	st.Wait()
	text, _ := os.ReadFile(out)
	b.Logf("%s under strace, %d frames (%v):\n%s", f.name(), n, r, text)
}

// hopEnv starts TestHILHopForwarder with the named variant.
const hopEnv = "FIELDGATE_HOPFWD"

// klHop is TestHILHopForwarder (or the C forwarder) in a process of its own.
type klHop struct {
	variant string
	cmd     *exec.Cmd
}

func (f *klHop) name() string { return f.variant }

func (f *klHop) pid() int {
	if f.cmd == nil || f.cmd.Process == nil {
		return 0
	}
	return f.cmd.Process.Pid
}

var hopCBin string

func (f *klHop) start(b *testing.B) func() {
	dir := b.TempDir()
	log := filepath.Join(dir, "hop.log")
	out, err := os.Create(log)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	if f.variant == "c" {
		if hopCBin == "" {
			src := filepath.Join(dir, "cfwd.c")
			bin := filepath.Join(os.TempDir(), fmt.Sprintf("cfwd-%d", os.Getpid()))
			if err := os.WriteFile(src, []byte(hopCSource), 0o644); err != nil {
				b.Fatal(err)
			}
			if o, err := exec.Command("cc", "-O2", "-o", bin, src).CombinedOutput(); err != nil {
				b.Fatalf("cc: %v\n%s", err, o)
			}
			hopCBin = bin
		}
		f.cmd = exec.Command(hopCBin)
	} else {
		f.cmd = exec.Command(os.Args[0], "-test.run=^TestHILHopForwarder$")
		f.cmd.Env = append(os.Environ(), hopEnv+"="+f.variant)
	}
	return startReady(b, f.cmd, out, log, f.variant+" forwarder")
}

// TestHILHopForwarder is a forwarder process of BenchmarkHILHopCost
// (vcan0 → vcan1, nothing else), the variant named by $FIELDGATE_HOPFWD.
func TestHILHopForwarder(t *testing.T) {
	v := os.Getenv(hopEnv)
	if v == "" {
		t.Skip("forwarder process of BenchmarkHILHopCost")
	}
	tx, err := can.ListenRaw("vcan1", &can.RawConfig{Filters: []can.Filter{}})
	if err != nil {
		t.Fatal(err)
	}
	frames := make([]can.FDFrame, can.MaxBatch)
	msgs := make([]can.RecvMsg, can.MaxBatch)
	send := func(k int) {
		if _, err := tx.TryWriteBatch(frames[:k]); err != nil {
			t.Fatal(err)
		}
	}
	switch v {
	case "poll":
		rx, err := can.ListenRaw("vcan0", &can.RawConfig{RecvBuffer: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("ready")
		for {
			k, err := rx.ReadBatch(nil, msgs)
			if err != nil {
				t.Fatal(err)
			}
			for i := range k {
				frames[i] = msgs[i].Frame
			}
			send(k)
		}
	case "block", "block-raw", "ppoll":
		if v == "block-raw" {
			runtime.LockOSThread()
		}
		fd, err := rawCANSocket("vcan0", v == "ppoll")
		if err != nil {
			t.Fatal(err)
		}
		efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			t.Fatal(err)
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(efd), Events: unix.POLLIN}}
		var bufs [can.MaxBatch][can.MTU]byte
		var iov [can.MaxBatch]unix.Iovec
		var hdr [can.MaxBatch]unix.Mmsghdr
		for i := range hdr {
			iov[i].Base = &bufs[i][0]
			iov[i].SetLen(can.MTU)
			hdr[i].Hdr.Iov = &iov[i]
			hdr[i].Hdr.Iovlen = 1
		}
		call := unix.Syscall6
		if v != "block" {
			call = unix.RawSyscall6 // block-raw, and ppoll's non-blocking reads
		}
		fmt.Println("ready")
		for {
			r, _, e := call(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hdr[0])), can.MaxBatch, unix.MSG_WAITFORONE, 0, 0)
			if e == unix.EINTR {
				continue
			}
			if e == unix.EAGAIN && v == "ppoll" {
				_, _, e := unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd[0])), 2, 0, 0, 0, 0)
				if e != 0 && e != unix.EINTR {
					t.Fatal(e)
				}
				continue
			}
			if e != 0 {
				t.Fatal(e)
			}
			k := int(r)
			for i := range k {
				b := &bufs[i]
				frames[i] = can.FDFrame{ID: *(*uint32)(unsafe.Pointer(&b[0])), Len: b[4]}
				copy(frames[i].Data[:8], b[8:16])
			}
			send(k)
		}
	default:
		t.Fatalf("%s=%q: unknown variant", hopEnv, v)
	}
}

// rawCANSocket is a raw CAN socket on iface, blocking unless nonblock,
// unknown to the runtime poller.
func rawCANSocket(iface string, nonblock bool) (int, error) {
	idx, err := ifIndex(iface)
	if err != nil {
		return -1, err
	}
	typ := unix.SOCK_RAW | unix.SOCK_CLOEXEC
	if nonblock {
		typ |= unix.SOCK_NONBLOCK
	}
	fd, err := unix.Socket(unix.AF_CAN, typ, unix.CAN_RAW)
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 1<<20); err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrCAN{Ifindex: idx}); err != nil {
		return -1, err
	}
	return fd, nil
}

func ifIndex(name string) (int, error) {
	b, err := os.ReadFile("/sys/class/net/" + name + "/ifindex")
	if err != nil {
		return 0, err
	}
	var i int
	_, err = fmt.Sscan(string(b), &i)
	return i, err
}

// hopCSource is the C forwarder: blocking recvmmsg on vcan0, sendmmsg on
// vcan1 (a socket that receives nothing), "ready" on stdout.
const hopCSource = `
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/can.h>
#include <linux/can/raw.h>
static int open_can(const char *ifn, int rx) {
	int fd = socket(PF_CAN, SOCK_RAW, CAN_RAW);
	if (fd < 0) { perror("socket"); exit(1); }
	if (!rx) setsockopt(fd, SOL_CAN_RAW, CAN_RAW_FILTER, NULL, 0);
	else { int b = 1 << 20; setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &b, sizeof b); }
	struct sockaddr_can a = { .can_family = AF_CAN, .can_ifindex = if_nametoindex(ifn) };
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("bind"); exit(1); }
	return fd;
}
int main(void) {
	int rx = open_can("vcan0", 1), tx = open_can("vcan1", 0);
	static struct can_frame f[64];
	static struct iovec iov[64];
	static struct mmsghdr m[64], s[64];
	for (int i = 0; i < 64; i++) {
		iov[i].iov_base = &f[i]; iov[i].iov_len = sizeof f[i];
		m[i].msg_hdr.msg_iov = &iov[i]; m[i].msg_hdr.msg_iovlen = 1;
		s[i].msg_hdr.msg_iov = &iov[i]; s[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n"); fflush(stdout);
	for (;;) {
		int n = recvmmsg(rx, m, 64, MSG_WAITFORONE, NULL);
		if (n < 0) { if (errno == EINTR) continue; perror("recvmmsg"); return 1; }
		if (sendmmsg(tx, s, n, MSG_DONTWAIT) != n) { perror("sendmmsg"); return 1; }
	}
}
`
