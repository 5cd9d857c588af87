package vsock

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Bad arguments fail before any socket exists, naming the field.
func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		cfg  *Config
		want string
	}{
		{&Config{Type: 2}, "Config.Type 2"},
		{&Config{ConnectTimeout: -time.Second}, "Config.ConnectTimeout"},
		{&Config{BufferMinSize: 10, BufferMaxSize: 5}, "Config.BufferMinSize 10 above Config.BufferMaxSize 5"},
		{&Config{BufferSize: 4, BufferMinSize: 5}, "Config.BufferSize 4 below"},
		{&Config{BufferSize: 9, BufferMaxSize: 5}, "Config.BufferSize 9 above"},
	} {
		if _, err := Listen(CIDLocal, PortAny, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Listen with %+v: %v; want %q", tt.cfg, err, tt.want)
		}
		if _, err := Dial(ctx, CIDLocal, 1234, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Dial with %+v: %v; want %q", tt.cfg, err, tt.want)
		}
	}
	if _, err := Dial(ctx, CIDAny, 1, nil); err == nil || !strings.Contains(err.Error(), "CID 4294967295 (CIDAny)") {
		t.Errorf("Dial to CIDAny: %v", err)
	}
	if _, err := Dial(ctx, CIDHost, PortAny, nil); err == nil || !strings.Contains(err.Error(), "port 4294967295 (PortAny)") {
		t.Errorf("Dial to PortAny: %v", err)
	}
}
