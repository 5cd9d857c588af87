package netnstest

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs f on an OS thread switched into the namespace and returns f's
// error. Sockets f opens stay in the namespace after it returns. The
// thread stays locked and so dies with its goroutine: it never goes back
// to the runtime's pool in the wrong namespace.
func (n *Net) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			errc <- fmt.Errorf("netnstest: unshare: %w", err)
			return
		}
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("netnstest: setns %s: %w", n.Name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

func openNetns(name string) (int, error) {
	return unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
}

func closeFD(fd int) { unix.Close(fd) }
