//go:build !linux

package gateway

import (
	"fmt"
	"runtime"
)

type linkSampler struct{}

func openLinkSampler() (*linkSampler, error) {
	return nil, fmt.Errorf("bus load: rtnetlink is not available on %s", runtime.GOOS)
}

func (*linkSampler) close() error { return nil }

func (*linkSampler) sample(string, *linkSample) error {
	return fmt.Errorf("bus load: rtnetlink is not available on %s", runtime.GOOS)
}
