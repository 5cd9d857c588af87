package core

// FamilySupport says whether the running kernel supports one kind of
// socket, as found by actually creating it (and, where creating is not
// enough, binding it), and what to enable when it does not.
type FamilySupport struct {
	Name         string // e.g. "CAN ISO-TP"
	Family       Family
	Kind         Kind
	Proto        int
	Supported    bool
	Err          error  // the error that showed it missing; nil when supported
	KernelOption string // the kernel option providing it, e.g. CONFIG_CAN_ISOTP
	Modules      string // the modules providing it, e.g. "can can_isotp"
}

// probe is one socket kind ProbeFamilies tries. Check, when set, performs
// a further step on the open descriptor (for example binding an AF_ALG
// socket to a hash, or a vsock socket to the loopback CID).
type probe struct {
	name, option, modules string
	family, kind, proto   int
	check                 func(fd int) error
}
