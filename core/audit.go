package core

import "sync/atomic"

// AuditHook receives an audit event raised by a socket operation, in the
// spirit of CPython's sys.audit: event is the name (such as "socket.bind")
// and args the operation's arguments.
type AuditHook func(event string, args ...any)

// auditHook is the one piece of package state besides the default timeout:
// like CPython's audit hooks it is process-wide by definition.
var auditHook atomic.Pointer[AuditHook]

// SetAuditHook installs h as the process-wide audit hook; nil removes it.
// Events: socket.__new__, socket.bind, socket.connect, socket.sendto,
// socket.sendmsg, socket.getaddrinfo, socket.getnameinfo,
// socket.gethostbyname, socket.gethostbyaddr, socket.gethostname,
// socket.sethostname, socket.getservbyname, socket.getservbyport.
func SetAuditHook(h AuditHook) {
	if h == nil {
		auditHook.Store(nil)
		return
	}
	auditHook.Store(&h)
}

// audit raises event with args if a hook is installed. It costs one atomic
// load when no hook is set.
func audit(event string, args ...any) {
	if h := auditHook.Load(); h != nil {
		(*h)(event, args...)
	}
}

// auditing reports whether a hook is installed, so hot paths can skip
// building the argument list (which would allocate) when nobody listens.
func auditing() bool { return auditHook.Load() != nil }
