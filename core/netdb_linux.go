package core

import "golang.org/x/sys/unix"

func setHostName(name string) error { return unix.Sethostname([]byte(name)) }
