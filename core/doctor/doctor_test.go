package doctor

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"
)

// On any kernel: every missing family names the option that provides it,
// and the table and JSON agree with the report.
func TestReportNamesWhatIsMissing(t *testing.T) {
	r := Collect()
	if len(r.Families) < 20 {
		t.Fatalf("probed %d socket kinds, want every family of the product (>= 20)", len(r.Families))
	}
	missing := 0
	for _, f := range r.Families {
		if f.Supported {
			continue
		}
		missing++
		if !strings.HasPrefix(f.Needs, "CONFIG_") || f.Error == "" {
			t.Errorf("%s missing but says needs=%q error=%q", f.Name, f.Needs, f.Error)
		}
	}
	if missing != r.Missing {
		t.Fatalf("Missing = %d, counted %d", r.Missing, missing)
	}
	var table bytes.Buffer
	r.WriteTable(&table)
	if got := strings.Count(table.String(), " MISSING "); got != missing {
		t.Fatalf("table shows %d MISSING rows, want %d:\n%s", got, missing, table.String())
	}
	if missing > 0 && !r.InRig && !strings.Contains(table.String(), "make hil CMD='fieldgate doctor'") {
		t.Fatalf("table does not point to the rig:\n%s", table.String())
	}
	var out bytes.Buffer
	if err := Main(t.Context(), []string{"--json"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out.String())
	}
	if back.Missing != r.Missing || len(back.Families) != len(r.Families) {
		t.Fatalf("--json says %d missing of %d, report %d of %d", back.Missing, len(back.Families), r.Missing, len(r.Families))
	}
}

func TestMainRejectsArguments(t *testing.T) {
	var out bytes.Buffer
	err := Main(t.Context(), []string{"extra"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), `"extra"`) {
		t.Fatalf("err = %v, want one naming the argument", err)
	}
}

func TestMainUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := Main(t.Context(), []string{"-h"}, &out, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	h := errb.String()
	if !strings.HasPrefix(h, "usage: fieldgate doctor [-json] [-strict]\n") || strings.Contains(h, "Usage of") || !strings.Contains(h, "  -strict\n") {
		t.Errorf("-h printed\n%s", h)
	}
	// The flags -h lists are those of Flags().
	var names []string
	Flags().VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if strings.Join(names, " ") != "json strict" {
		t.Errorf("Flags(): %q", names)
	}
	for _, n := range names {
		if !strings.Contains(h, "  -"+n+"\n") {
			t.Errorf("-h does not list -%s", n)
		}
	}
	errb.Reset()
	err := Main(t.Context(), []string{"-x"}, &out, &errb)
	var ec interface{ ExitCode() int }
	if err == nil || err.Error() != "unknown flag -x (see fieldgate doctor -h)" || !errors.As(err, &ec) || ec.ExitCode() != 2 || errb.Len() != 0 {
		t.Errorf("-x: %v, printed %q", err, errb.String())
	}
}
