package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/fieldgate/fieldgate/gateway/config"
)

// loadConfig reads file, validates it and checks what it needs of this
// host (key files, log directories, interfaces): check, run and reload all
// load through it, so they accept and refuse the same files with the same
// words. Errors are config.Errors when the file was read.
//
// Loading runs in a goroutine. When ctx ends first (SIGINT or SIGTERM:
// see cmd/fieldgate), loadConfig returns at once with an error whose
// ExitCode is 130 or 143; the goroutine stops at its next look at ctx.
func loadConfig(ctx context.Context, file string) (*config.Config, error) {
	type result struct {
		c   *config.Config
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := config.LoadContext(ctx, file)
		if c != nil && ctx.Err() == nil {
			err = joinErrors(err, c.CheckHost())
		}
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if ctx.Err() != nil {
			return nil, interrupted(ctx, file)
		}
		var es config.Errors
		if r.c == nil && r.err != nil && !errors.As(r.err, &es) {
			return nil, fileError(file, r.err)
		}
		return r.c, r.err
	case <-ctx.Done():
		return nil, interrupted(ctx, file)
	}
}

// joinErrors appends the host errors to the file's errors.
func joinErrors(err, host error) error {
	if host == nil {
		return err
	}
	if err == nil {
		return host
	}
	var es, hs config.Errors
	if errors.As(err, &es) && errors.As(host, &hs) {
		return append(append(config.Errors{}, es...), hs...)
	}
	return err
}

// exitError is an error with the exit status cmd/fieldgate ends with.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// ExitCode is the process's exit status.
func (e *exitError) ExitCode() int { return e.code }

// interrupted returns the error for a load that ctx's end cut short: exit
// status 128 + the signal's number, as a shell reports a process that the
// signal killed.
func interrupted(ctx context.Context, file string) error {
	code, why := 1, "cancelled"
	if cause := context.Cause(ctx); cause != nil {
		why = cause.Error()
		// signal.NotifyContext's cause is "<signal> signal received".
		switch {
		case strings.HasPrefix(why, syscall.SIGTERM.String()+" "):
			code = 128 + 15
		case strings.HasPrefix(why, os.Interrupt.String()+" "):
			code = 128 + 2
		}
	}
	return &exitError{code: code, msg: fmt.Sprintf("%s: loading stopped: %s", file, why)}
}
