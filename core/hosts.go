package core

import (
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// HostsFile is the hosts database the resolver functions read first, as
// glibc's "files" backend does.
const HostsFile = "/etc/hosts"

// HostEntry is one line of the hosts database: an address, its canonical
// name and aliases.
type HostEntry struct {
	IP    netip.Addr
	Names []string // canonical name first, then aliases
}

// HostsDB is a parsed hosts database, in file order.
type HostsDB struct {
	Entries []HostEntry
}

// ParseHosts parses a hosts(5) file from r; file names it in errors.
// Malformed lines are skipped and reported as *ParseError values joined in
// the returned error, alongside every valid entry.
func ParseHosts(r io.Reader, file string) (*HostsDB, error) {
	db := &HostsDB{}
	err := parseDBLines(r, file, func(f []string) string {
		if len(f) < 2 {
			return "want \"address name [aliases...]\", got " + strconv.Quote(truncate(strings.Join(f, " ")))
		}
		ip, err := netip.ParseAddr(f[0])
		if err != nil {
			return "address " + strconv.Quote(truncate(f[0])) + " is not numeric"
		}
		for _, n := range f[1:] {
			if !validName(n) {
				return "name " + strconv.Quote(truncate(n)) + " is not printable ASCII"
			}
		}
		db.Entries = append(db.Entries, HostEntry{IP: ip, Names: append([]string(nil), f[1:]...)})
		return ""
	})
	return db, err
}

// LoadHosts reads and parses a hosts file.
func LoadHosts(file string) (*HostsDB, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseHosts(f, file)
}

// ByName returns the entries that carry name (case-insensitive), in file
// order.
func (db *HostsDB) ByName(name string) []HostEntry {
	var out []HostEntry
	for _, e := range db.Entries {
		for _, n := range e.Names {
			if strings.EqualFold(n, name) {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// ByAddr returns the entries for ip (zones ignored), in file order.
func (db *HostsDB) ByAddr(ip netip.Addr) []HostEntry {
	var out []HostEntry
	ip = ip.WithZone("").Unmap()
	for _, e := range db.Entries {
		if e.IP.WithZone("").Unmap() == ip {
			out = append(out, e)
		}
	}
	return out
}

// systemHosts reads HostsFile for a lookup; a missing file is an empty
// database and malformed lines are skipped, as glibc does.
func systemHosts() *HostsDB {
	db, _ := LoadHosts(HostsFile)
	if db == nil {
		db = &HostsDB{}
	}
	return db
}
