//go:build !linux

package netlinkfam

import "context"

func subscribeLinks(context.Context, *SubscribeConfig) (<-chan LinkEvent, error) {
	return nil, ErrNotSupported
}
