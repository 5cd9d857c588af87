package core

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ServicesFile is the services database GetServByName and GetServByPort
// read, as glibc's files backend does.
const ServicesFile = "/etc/services"

// Service is one entry of the services database: "name port/proto
// aliases...".
type Service struct {
	Name    string
	Port    int
	Proto   string
	Aliases []string
}

// ServiceDB is a parsed services database, in file order.
type ServiceDB struct {
	Services []Service
}

// ErrNotFound is wrapped by the lookup errors of GetServByName,
// GetServByPort and GetProtoByName, which are Python's OSError("service/proto
// not found") and friends.
var ErrNotFound = errors.New("not found")

// ParseServices parses a services(5) file from r; file names it in errors.
// Malformed lines are skipped and reported as *ParseError values joined in
// the returned error (with the file and line), alongside every valid entry:
// like glibc, lookups keep working on a file with a bad line.
func ParseServices(r io.Reader, file string) (*ServiceDB, error) {
	db := &ServiceDB{}
	err := parseDBLines(r, file, func(f []string) string {
		if len(f) < 2 {
			return "want \"name port/proto [aliases...]\", got " + strconv.Quote(truncate(strings.Join(f, " ")))
		}
		if !validName(f[0]) {
			return "service name " + strconv.Quote(truncate(f[0])) + " is not printable ASCII"
		}
		ps, proto, ok := strings.Cut(f[1], "/")
		if !ok || proto == "" || !validName(proto) {
			return "service " + f[0] + ": " + strconv.Quote(truncate(f[1])) + " is not port/proto"
		}
		port, err := strconv.ParseUint(ps, 10, 16)
		if err != nil || ps[0] == '+' {
			return "service " + f[0] + ": port " + strconv.Quote(truncate(ps)) + " is not a number 0-65535"
		}
		s := Service{Name: f[0], Port: int(port), Proto: proto}
		for _, a := range f[2:] {
			if !validName(a) {
				return "service " + f[0] + ": alias " + strconv.Quote(truncate(a)) + " is not printable ASCII"
			}
			s.Aliases = append(s.Aliases, a)
		}
		db.Services = append(db.Services, s)
		return ""
	})
	return db, err
}

// LoadServices reads and parses a services file. A missing or unreadable
// file is an error; malformed lines are reported as ParseServices does,
// with the parsed database.
func LoadServices(file string) (*ServiceDB, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseServices(f, file)
}

// ByName returns the first entry named name (or with name as an alias)
// for protocol proto, or for any protocol if proto is "".
func (db *ServiceDB) ByName(name, proto string) (Service, bool) {
	for _, s := range db.Services {
		if proto != "" && s.Proto != proto {
			continue
		}
		if s.Name == name {
			return s, true
		}
		for _, a := range s.Aliases {
			if a == name {
				return s, true
			}
		}
	}
	return Service{}, false
}

// ByPort returns the first entry for port and protocol proto (any if "").
func (db *ServiceDB) ByPort(port int, proto string) (Service, bool) {
	for _, s := range db.Services {
		if s.Port == port && (proto == "" || s.Proto == proto) {
			return s, true
		}
	}
	return Service{}, false
}

// loadServicesLenient reads ServicesFile for a lookup; malformed lines are
// skipped as glibc skips them.
func loadServicesLenient() (*ServiceDB, error) {
	db, err := LoadServices(ServicesFile)
	if db == nil {
		return nil, err
	}
	return db, nil
}

// GetServByName returns the port of service name over protocol proto
// ("tcp", "udp", or "" for any), read from /etc/services: Python's
// socket.getservbyname. An unknown service gives an error wrapping
// ErrNotFound.
func GetServByName(name, proto string) (int, error) {
	if auditing() {
		audit("socket.getservbyname", name, proto)
	}
	db, err := loadServicesLenient()
	if err != nil {
		return 0, &LookupError{Func: "getservbyname", Query: name + "/" + proto, Err: err}
	}
	s, ok := db.ByName(name, proto)
	if !ok {
		return 0, &LookupError{Func: "getservbyname", Query: name + "/" + proto, Err: errServNotFound}
	}
	return s.Port, nil
}

// GetServByPort returns the name of the service on port over protocol
// proto ("" for any), read from /etc/services: Python's
// socket.getservbyport. port must be 0-65535 (else a *RangeError); an
// unknown port gives an error wrapping ErrNotFound.
func GetServByPort(port int, proto string) (string, error) {
	if auditing() {
		audit("socket.getservbyport", port, proto)
	}
	if port < 0 || port > 65535 {
		return "", &RangeError{Func: "getservbyport", Value: port, Msg: "port must be 0-65535"}
	}
	db, err := loadServicesLenient()
	if err != nil {
		return "", &LookupError{Func: "getservbyport", Query: strconv.Itoa(port) + "/" + proto, Err: err}
	}
	s, ok := db.ByPort(port, proto)
	if !ok {
		return "", &LookupError{Func: "getservbyport", Query: strconv.Itoa(port) + "/" + proto, Err: errPortNotFound}
	}
	return s.Name, nil
}

var (
	errServNotFound  = &notFound{"service/proto not found"}
	errPortNotFound  = &notFound{"port/proto not found"}
	errProtoNotFound = &notFound{"protocol not found"}
)

// notFound carries Python's message and matches ErrNotFound and ENOENT.
type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }

func (e *notFound) Is(target error) bool {
	return target == ErrNotFound || target == syscall.ENOENT
}

// LookupError reports a failed services or protocols lookup.
type LookupError struct {
	Func  string // "getservbyname", "getservbyport", "getprotobyname"
	Query string
	Err   error
}

func (e *LookupError) Error() string {
	return "core: " + e.Func + " " + strconv.Quote(e.Query) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *LookupError) Unwrap() error { return e.Err }
