package core

import (
	"encoding/json"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRecvFDsFlagsPython passes descriptors over a socketpair in CPython and
// here, with room for all, one or none of them, and compares what recv_fds
// returns: the data, the number of descriptors and msg_flags (0, or
// MSG_CTRUNC, never the MSG_CMSG_CLOEXEC RecvFDs asks for).
func TestRecvFDsFlagsPython(t *testing.T) {
	type result struct {
		Data  string
		NFDs  int
		Flags int
	}
	cases := []struct{ maxfds, flags int }{{3, 0}, {1, 0}, {0, 0}, {3, unix.MSG_CMSG_CLOEXEC}, {1, unix.MSG_CMSG_CLOEXEC}}
	var pairs [][2]int
	for _, c := range cases {
		pairs = append(pairs, [2]int{c.maxfds, c.flags})
	}
	args, _ := json.Marshal(pairs)
	out := python(t, `
import socket, json, os, sys
a, b = socket.socketpair()
r, w = os.pipe()
res = []
for maxfds, flags in json.loads(sys.argv[1]):
    socket.send_fds(a, [b"fds"], [r, w, r])
    data, fds, mflags, addr = socket.recv_fds(b, 16, maxfds, flags)
    for fd in fds:
        os.close(fd)
    res.append({"Data": data.decode(), "NFDs": len(fds), "Flags": mflags})
print(json.dumps(res))`, string(args))
	var want []result
	if err := json.Unmarshal(out, &want); err != nil || len(want) != len(cases) {
		t.Fatalf("python: %v: %s", err, out)
	}
	a, b, err := Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	for i, c := range cases {
		if _, err := SendFDs(a, [][]byte{[]byte("fds")}, []int{p[0], p[1], p[0]}, 0, nil); err != nil {
			t.Fatal(err)
		}
		data, fds, flags, _, err := RecvFDs(b, 16, c.maxfds, c.flags)
		if err != nil {
			t.Fatalf("RecvFDs(maxfds %d, flags %#x): %v", c.maxfds, c.flags, err)
		}
		for _, fd := range fds {
			unix.Close(fd)
		}
		if got := (result{string(data), len(fds), flags}); got != want[i] {
			t.Errorf("RecvFDs(maxfds %d, flags %#x) = %+v (flags %#x), CPython %+v (flags %#x)",
				c.maxfds, c.flags, got, got.Flags, want[i], want[i].Flags)
		}
	}
}
