package udp

import "runtime"

const runtimeLinux = runtime.GOOS == "linux"
