//go:build !hil && !linux

package nats_test

// threadCPU is 0 where the thread's CPU time is not read: the benchmarks
// then report wall-clock rates only.
func threadCPU() int64 { return 0 }
