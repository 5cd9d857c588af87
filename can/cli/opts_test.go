package cli

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestOptsGetopt(t *testing.T) {
	var (
		c       int
		ts, dbc string
		n       int
		x       bool
	)
	s := &optSet{name: "t", synopsis: "usage: t"}
	s.counter('c', "", "color", &c)
	s.str('t', "", "TYPE", "timestamps", &ts)
	s.intOpt('n', "", "COUNT", "count", &n, 1, 100)
	s.flag('x', "extra", "extra", &x)
	s.str(0, "dbc", "FILE", "dbc", &dbc)
	ops, err := s.parse([]string{"vcan0", "-cctd", "-n3", "can1", "--dbc=a.dbc", "--extra", "--", "-c"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c != 2 || ts != "d" || n != 3 || !x || dbc != "a.dbc" || !reflect.DeepEqual(ops, []string{"vcan0", "can1", "-c"}) {
		t.Fatalf("c=%d ts=%q n=%d x=%v dbc=%q ops=%q", c, ts, n, x, dbc, ops)
	}
	if _, err := s.parse([]string{"--dbc", "b.dbc", "-t", "a", "-x"}, io.Discard); err != nil || dbc != "b.dbc" || ts != "a" {
		t.Fatalf("separate arguments: %v %q %q", err, dbc, ts)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-q"}, "unknown option -q"},
		{[]string{"--nope"}, "unknown option --nope"},
		{[]string{"-t"}, "option -t needs an argument TYPE"},
		{[]string{"--dbc"}, "option --dbc needs an argument FILE"},
		{[]string{"--extra=1"}, "option --extra takes no argument"},
		{[]string{"-n", "0"}, `-n "0": want a whole number 1..100`},
		{[]string{"-cn101"}, `-n "101"`},
	} {
		_, err := s.parse(tt.args, io.Discard)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "see fieldgate can t -h") {
			t.Errorf("%q: %v, want %q", tt.args, err, tt.want)
		}
	}
	var sb strings.Builder
	if _, err := s.parse([]string{"-h"}, &sb); !errors.Is(err, flag.ErrHelp) || !strings.Contains(sb.String(), "--dbc FILE") || !strings.Contains(sb.String(), "--extra") {
		t.Fatalf("-h: %v %q", err, sb.String())
	}
}
