package core

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestIfName(t *testing.T) {
	i, err := IfNameToIndex("lo")
	if err != nil || i < 1 {
		t.Fatalf("IfNameToIndex(lo) = %d, %v", i, err)
	}
	if n, err := IfIndexToName(i); err != nil || n != "lo" {
		t.Fatalf("IfIndexToName(%d) = %q, %v", i, n, err)
	}
	if _, err := IfNameToIndex("nosuchif0"); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := IfNameToIndex("a-name-that-is-too-long"); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("long name: %v", err)
	}
	if _, err := IfIndexToName(1 << 30); !errors.Is(err, syscall.ENXIO) {
		t.Errorf("unknown index: %v", err)
	}
	if _, err := IfIndexToName(-1); !errors.Is(err, syscall.ERANGE) {
		t.Errorf("negative index: %v", err)
	}
	list, err := IfNameIndex()
	if err != nil {
		t.Fatal(err)
	}
	var py [][2]any
	if err := json.Unmarshal(python(t, "import socket, json; print(json.dumps(socket.if_nameindex()))"), &py); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(list), fmt.Sprint(pyIfs(py)); got != want {
		t.Errorf("IfNameIndex %s, CPython %s", got, want)
	}
}

func pyIfs(py [][2]any) []Interface {
	out := make([]Interface, len(py))
	for i, p := range py {
		out[i] = Interface{Index: int(p[0].(float64)), Name: p[1].(string)}
	}
	return out
}

// SetHostName in a private UTS namespace on a locked thread that dies with
// the goroutine, so the machine's name never changes.
func TestSetHostName(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWUTS); err != nil {
			done <- fmt.Errorf("unshare (needs root): %w", err)
			return
		}
		if err := SetHostName("fieldgate-uts-test"); err != nil {
			done <- err
			return
		}
		var u unix.Utsname
		unix.Uname(&u)
		if n, _ := cStringBytes(u.Nodename[:]); n != "fieldgate-uts-test" {
			done <- fmt.Errorf("nodename %q after SetHostName", n)
			return
		}
		if err := SetHostName(string(make([]byte, 65))); !errors.Is(err, syscall.EINVAL) {
			done <- fmt.Errorf("65-byte name: %v", err)
			return
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func cStringBytes(b []byte) (string, bool) { return cString(b) }
