package core

import (
	"io"
	"os"
	"strconv"
	"strings"
)

// ProtocolsFile is the protocols database GetProtoByName reads.
const ProtocolsFile = "/etc/protocols"

// Protocol is one entry of the protocols database: "name number
// aliases...".
type Protocol struct {
	Name    string
	Number  int
	Aliases []string
}

// ProtocolDB is a parsed protocols database, in file order.
type ProtocolDB struct {
	Protocols []Protocol
}

// ParseProtocols parses a protocols(5) file from r; file names it in
// errors. Malformed lines are skipped and reported as *ParseError values
// joined in the returned error, alongside every valid entry.
func ParseProtocols(r io.Reader, file string) (*ProtocolDB, error) {
	db := &ProtocolDB{}
	err := parseDBLines(r, file, func(f []string) string {
		if len(f) < 2 {
			return "want \"name number [aliases...]\", got " + strconv.Quote(truncate(strings.Join(f, " ")))
		}
		if !validName(f[0]) {
			return "protocol name " + strconv.Quote(truncate(f[0])) + " is not printable ASCII"
		}
		n, err := strconv.ParseUint(f[1], 10, 31)
		if err != nil || f[1][0] == '+' {
			return "protocol " + f[0] + ": number " + strconv.Quote(truncate(f[1])) + " is not 0-2147483647"
		}
		p := Protocol{Name: f[0], Number: int(n)}
		for _, a := range f[2:] {
			if !validName(a) {
				return "protocol " + f[0] + ": alias " + strconv.Quote(truncate(a)) + " is not printable ASCII"
			}
			p.Aliases = append(p.Aliases, a)
		}
		db.Protocols = append(db.Protocols, p)
		return ""
	})
	return db, err
}

// LoadProtocols reads and parses a protocols file.
func LoadProtocols(file string) (*ProtocolDB, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseProtocols(f, file)
}

// ByName returns the first entry named name or with name as an alias
// (case-sensitive, as glibc).
func (db *ProtocolDB) ByName(name string) (Protocol, bool) {
	for _, p := range db.Protocols {
		if p.Name == name {
			return p, true
		}
		for _, a := range p.Aliases {
			if a == name {
				return p, true
			}
		}
	}
	return Protocol{}, false
}

// ByNumber returns the first entry with protocol number n.
func (db *ProtocolDB) ByNumber(n int) (Protocol, bool) {
	for _, p := range db.Protocols {
		if p.Number == n {
			return p, true
		}
	}
	return Protocol{}, false
}

// GetProtoByName returns the number of protocol name ("tcp", "udp",
// "icmp", ...) from /etc/protocols: Python's socket.getprotobyname. An
// unknown name gives an error wrapping ErrNotFound.
func GetProtoByName(name string) (int, error) {
	db, err := LoadProtocols(ProtocolsFile)
	if db == nil {
		return 0, &LookupError{Func: "getprotobyname", Query: name, Err: err}
	}
	p, ok := db.ByName(name)
	if !ok {
		return 0, &LookupError{Func: "getprotobyname", Query: name, Err: errProtoNotFound}
	}
	return p.Number, nil
}
