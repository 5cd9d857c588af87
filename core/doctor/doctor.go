// Package doctor is "fieldgate doctor": it tells what the running kernel
// and process can do for fieldgate — which socket families exist (probed
// with socket(2), not guessed from kernel versions), which kernel option
// or module is missing where one does not, whether the process holds
// CAP_NET_RAW and CAP_NET_ADMIN, and which CAN, vxcan and veth interfaces
// exist with their state and bit rate.
package doctor

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/fieldgate/fieldgate/core"
	"github.com/fieldgate/fieldgate/internal/cmdline"
	"github.com/fieldgate/fieldgate/netlinkfam"
)

// Report is what doctor found.
type Report struct {
	Kernel       string          `json:"kernel"`
	InRig        bool            `json:"in_rig"`
	Families     []Family        `json:"families"`
	Capabilities map[string]bool `json:"capabilities"`
	Interfaces   []Interface     `json:"interfaces"`
	Missing      int             `json:"missing"`
	LinkError    string          `json:"link_error,omitempty"`
}

// Family is one probed socket kind.
type Family struct {
	Name      string `json:"name"`
	Supported bool   `json:"supported"`
	Error     string `json:"error,omitempty"`
	Needs     string `json:"needs,omitempty"` // kernel option and modules, when missing
}

// Interface is one CAN, vxcan or veth interface.
type Interface struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Up      bool   `json:"up"`
	State   string `json:"state"`
	Bitrate uint32 `json:"bitrate,omitempty"`
	CANMTU  int    `json:"mtu"`
}

// Collect probes the kernel and the process.
func Collect() Report {
	r := Report{Kernel: kernelRelease(), InRig: os.Getenv("FIELDGATE_HIL") == "1", Capabilities: map[string]bool{}}
	for _, s := range core.ProbeFamilies() {
		f := Family{Name: s.Name, Supported: s.Supported}
		if !s.Supported {
			r.Missing++
			f.Error = errString(s.Err)
			f.Needs = s.KernelOption
			if s.Modules != "" {
				f.Needs += " (modules: " + s.Modules + ")"
			}
		}
		r.Families = append(r.Families, f)
	}
	for name, c := range map[string]int{"CAP_NET_RAW": core.CapNetRaw, "CAP_NET_ADMIN": core.CapNetAdmin} {
		ok, _ := core.HasCapability(c)
		r.Capabilities[name] = ok
	}
	links, err := netlinkfam.Links()
	if err != nil {
		r.LinkError = err.Error()
	}
	for _, l := range links {
		switch l.Kind {
		case "can", "vcan", "vxcan", "veth":
		default:
			continue
		}
		i := Interface{Name: l.Name, Kind: l.Kind, Up: l.Up, State: fmt.Sprint(l.OperState), CANMTU: l.MTU}
		if l.CAN != nil {
			if l.CAN.HasState {
				i.State = l.CAN.State.String()
			}
			if l.CAN.BitTiming != nil {
				i.Bitrate = l.CAN.BitTiming.Bitrate
			}
		}
		r.Interfaces = append(r.Interfaces, i)
	}
	return r
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// WriteTable writes the report for people.
func (r Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "kernel %s", r.Kernel)
	if r.InRig {
		fmt.Fprint(w, " (fieldgate rig guest)")
	}
	fmt.Fprint(w, "\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAMILY\tSTATUS\tMISSING")
	for _, f := range r.Families {
		status := "present"
		if !f.Supported {
			status = "MISSING"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, status, f.Needs)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "capabilities: CAP_NET_RAW %s, CAP_NET_ADMIN %s\n",
		yesNo(r.Capabilities["CAP_NET_RAW"]), yesNo(r.Capabilities["CAP_NET_ADMIN"]))
	fmt.Fprintln(w)
	if r.LinkError != "" {
		fmt.Fprintf(w, "interfaces: cannot list: %s\n", r.LinkError)
	} else if len(r.Interfaces) == 0 {
		fmt.Fprintln(w, "interfaces: no CAN, vxcan or veth interface")
	} else {
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "INTERFACE\tKIND\tUP\tSTATE\tBITRATE\tMTU")
		for _, i := range r.Interfaces {
			br := "-"
			if i.Bitrate > 0 {
				br = fmt.Sprint(i.Bitrate)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", i.Name, i.Kind, yesNo(i.Up), strings.ToLower(i.State), br, i.CANMTU)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	if r.Missing == 0 {
		fmt.Fprintln(w, "every socket family fieldgate uses is present")
	} else {
		fmt.Fprintf(w, "%d of %d socket kinds are missing from this kernel.\n", r.Missing, len(r.Families))
		if !r.InRig {
			fmt.Fprintln(w, "Enable the options above (or load the modules), or run `make hil CMD='fieldgate doctor'`:")
			fmt.Fprintln(w, "the rig boots a Debian kernel that has all of them.")
		}
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func flags(stderr io.Writer) (fs *flag.FlagSet, asJSON, strict *bool) {
	fs = flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON = fs.Bool("json", false, "print the report as JSON")
	strict = fs.Bool("strict", false, "exit 1 if any socket family is missing")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: fieldgate doctor [-json] [-strict]

Reports what this kernel and process can do for fieldgate: which socket
families exist (each probed with socket(2)) and, for a missing one, the
kernel option or module it needs; whether the process holds CAP_NET_RAW
and CAP_NET_ADMIN; and the CAN, vxcan and veth interfaces with their
state, bit rate and MTU. Exits 0 whatever it finds, unless -strict is
given and a family is missing.

flags:
`)
		fs.PrintDefaults()
	}
	return fs, asJSON, strict
}

// Flags returns the flags of "fieldgate doctor", as Main parses them.
func Flags() *flag.FlagSet { fs, _, _ := flags(io.Discard); return fs }

// Main is the "fieldgate doctor" subcommand. It exits 0 whatever it finds,
// unless --strict is given and a family is missing.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, asJSON, strict := flags(stderr)
	if err := cmdline.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cmdline.Usagef("unexpected argument %q: doctor takes only -json and -strict (see fieldgate doctor -h)", fs.Arg(0))
	}
	r := Collect()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else if err := r.WriteTable(stdout); err != nil {
		return err
	}
	if *strict && r.Missing > 0 {
		return fmt.Errorf("%d of %d socket families missing (-strict)", r.Missing, len(r.Families))
	}
	return nil
}
