package simnet

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Addr is the address of a simulated endpoint whose host name is not an IP
// literal. Hosts named like IP addresses ("10.0.0.1") get *net.TCPAddr
// addresses instead, as package net gives, so that code which asserts
// RemoteAddr().(*net.TCPAddr) works.
type Addr struct {
	Host string
	Port int
}

// Network returns "tcp".
func (a *Addr) Network() string { return "tcp" }

func (a *Addr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// appendAddr appends a.String() to b, without allocating for the
// addresses the network makes.
func appendAddr(b []byte, a net.Addr) []byte {
	switch a := a.(type) {
	case *Addr:
		return appendJoined(b, a.Host, a.Port)
	case *net.TCPAddr:
		if a.Zone != "" || len(a.IP) != net.IPv4len {
			return append(b, a.String()...)
		}
		b = netip.AddrFrom4([4]byte(a.IP)).AppendTo(b)
		b = append(b, ':')
		return strconv.AppendInt(b, int64(a.Port), 10)
	default:
		return append(b, a.String()...)
	}
}

// addrString is a.String(), in one allocation for the addresses the
// network makes.
func addrString(a net.Addr) string {
	var buf [64]byte
	return string(appendAddr(buf[:0], a))
}

// appendJoined appends net.JoinHostPort(host, strconv.Itoa(port)) to b.
func appendJoined(b []byte, host string, port int) []byte {
	if strings.IndexByte(host, ':') >= 0 {
		b = append(b, '[')
		b = append(b, host...)
		b = append(b, ']')
	} else {
		b = append(b, host...)
	}
	b = append(b, ':')
	return strconv.AppendInt(b, int64(port), 10)
}

// addr returns the address of port on h.
func (h *Host) addr(port int) net.Addr {
	return h.addrIn(port, new(addrSpace))
}

// addrSpace is room for an address of either kind, kept in a value that
// outlives it (a dial, a connection), to save it an allocation.
type addrSpace struct {
	tcp  net.TCPAddr
	name Addr
}

// addrIn returns the address of port on h, made in s.
func (h *Host) addrIn(port int, s *addrSpace) net.Addr {
	if h.ip != nil {
		s.tcp = net.TCPAddr{IP: h.ip, Port: port}
		return &s.tcp
	}
	s.name = Addr{Host: h.name, Port: port}
	return &s.name
}

// isLocalName reports whether a dial or listen host names the calling host
// whatever its name: the empty host, localhost, and every loopback
// (127.0.0.0/8, ::1, either mapped into IPv6) and wildcard address, as on
// Linux.
func isLocalName(host string) bool {
	switch host {
	case "", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::":
		return true
	}
	a, ok := parseLocal(host)
	return ok && (a.IsLoopback() || a.IsUnspecified())
}

// parseLocal parses host as an address, unmapped from IPv6, with
// localhost as 127.0.0.1; ok is false for a name, which it does not try
// to parse.
func parseLocal(host string) (a netip.Addr, ok bool) {
	if host == "localhost" {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), true
	}
	if host == "" || !(host[0] >= '0' && host[0] <= '9' || host[0] == ':') {
		return a, false
	}
	a, err := netip.ParseAddr(host)
	return a.Unmap(), err == nil
}

// isOwnName reports whether a listen or bind host, not a local name,
// names h's own address: its name, or for a host named by an IP address,
// that address however written. Linux's dual-stack sockets take an IPv4
// address mapped into IPv6 ([::ffff:10.0.0.2]) as the IPv4 address, and
// package net binds it on an IPv4 socket.
func (h *Host) isOwnName(host string) bool {
	if host == h.name {
		return true
	}
	if h.ip == nil {
		return false
	}
	a, ok := parseLocal(host)
	own, _ := netip.AddrFromSlice(h.ip)
	return ok && a == own.Unmap()
}

// loopback4 and loopback6 return the loopback addresses, made afresh:
// a caller may keep them in an address it hands out.
func loopback4() net.IP { return net.IP{127, 0, 0, 1} }
func loopback6() net.IP { return append(net.IP(nil), net.IPv6loopback...) }

// listenLoopback returns the loopback address that a listen or bind host
// names (127.0.0.1 for localhost, the address itself for 127.0.0.0/8 and
// ::1), or nil when it names none: a socket bound there is on the
// loopback interface alone, as on Linux, where other hosts cannot reach
// it. The wildcard addresses name every address, not loopback alone.
func listenLoopback(host string) net.IP {
	if a, ok := parseLocal(host); ok && a.IsLoopback() {
		return net.IP(a.AsSlice())
	}
	return nil
}

// dialLoopback returns the loopback address that a dial to host goes to,
// or nil when it goes out through the host's own address: localhost and
// 127.0.0.0/8 and ::1 are loopback, and so is a wildcard address, which
// Linux connects to its loopback (0.0.0.0 to 127.0.0.1, :: to ::1).
func dialLoopback(host string) net.IP {
	switch host {
	case "", "0.0.0.0":
		return loopback4()
	case "::":
		return loopback6()
	}
	a, ok := parseLocal(host)
	switch {
	case ok && a.IsLoopback():
		return net.IP(a.AsSlice())
	case ok && a.IsUnspecified():
		return loopback4()
	}
	return nil
}

// loopbackSource returns the address a connection or datagram to the
// loopback address to comes from: 127.0.0.1 to any of 127.0.0.0/8, as
// Linux's route for it says, ::1 to ::1.
func loopbackSource(to net.IP) net.IP {
	if to.To4() != nil {
		return loopback4()
	}
	return loopback6()
}

// A binding is the local address a socket is bound to, as bind(2) has
// it: every address of its host (the zero binding: the empty host or a
// wildcard address), the host's own address alone (its name), or one
// loopback address.
type binding struct {
	lo  net.IP // the loopback address, or nil
	own bool   // the host's own address, not its loopback
}

// bindingOf returns the binding of a listen or bind host: a local name
// (isLocalName), or else the host's own name.
func bindingOf(host string) binding {
	if lo := listenLoopback(host); lo != nil {
		return binding{lo: lo}
	}
	return binding{own: !isLocalName(host)}
}

// all reports whether b is every address of its host.
func (b binding) all() bool { return b.lo == nil && !b.own }

// takes reports whether a socket bound to b takes what was sent to the
// loopback address to (nil: sent to its host's own address, perhaps from
// another host). On Linux, a socket bound to the host's own address does
// not hear 127.0.0.1, nor one bound to 127.0.0.1 the host's address.
func (b binding) takes(to net.IP) bool {
	switch {
	case b.lo != nil:
		return to != nil && b.lo.Equal(to)
	case b.own:
		return to == nil
	}
	return true
}

// overlaps reports whether sockets bound to b and c cannot share a port:
// they take some of the same traffic. As on Linux for listeners (whose
// SO_REUSEADDR, which package net sets, lets no two listening sockets
// overlap) and for UDP sockets without SO_REUSEPORT, a socket on every
// address overlaps all the others, and sockets on two different
// addresses do not.
func (b binding) overlaps(c binding) bool {
	switch {
	case b.all() || c.all():
		return true
	case b.own || c.own:
		return b.own && c.own
	}
	return b.lo.Equal(c.lo)
}

// ValidHostName reports whether name can name a simulated host: an IP
// literal or a DNS-like name, not one of the names that mean "this host".
// Callers that take host names from users check them with it up front.
func ValidHostName(name string) bool { return validHostName(name) }

// validHostName reports whether name can name a simulated host: an IP
// literal or a DNS-like name, not one of the names that mean "this host".
func validHostName(name string) bool {
	if isLocalName(name) {
		return false
	}
	if net.ParseIP(name) != nil {
		return true
	}
	if len(name) > 253 {
		return false
	}
	for _, r := range name {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '.', r == '_':
		default:
			return false
		}
	}
	return true
}

// splitAddr parses "host:port" as package net does for TCP, with numeric
// ports only (a service name such as "http" would depend on the machine's
// /etc/services, which a simulation must not read).
func splitAddr(addr string) (host string, port int, err error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err // a *net.AddrError
	}
	if ps == "" {
		return host, 0, nil
	}
	p, perr := strconv.Atoi(ps)
	if perr != nil {
		var ne *strconv.NumError
		if errors.As(perr, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return "", 0, &net.AddrError{Err: "invalid port", Addr: ps}
		}
		return "", 0, &net.DNSError{Err: "unknown port (the simulated network takes numeric ports only)", Name: "tcp/" + ps, IsNotFound: true}
	}
	if p < 0 || p > 65535 {
		return "", 0, &net.AddrError{Err: "invalid port", Addr: ps}
	}
	return host, p, nil
}

// The errors, shaped as package net's.

func opError(op string, src, dst net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: src, Addr: dst, Err: err}
}

func sysErr(call string, errno syscall.Errno) error { return os.NewSyscallError(call, errno) }

// ctxError maps a dial's context error as package net does: a deadline
// becomes "i/o timeout" (Timeout true), a cancellation "operation was
// canceled"; both still match the context's error under errors.Is.
func ctxError(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return timeoutError{}
	case errors.Is(err, context.Canceled):
		return canceledError{}
	}
	return err
}

type timeoutError struct{}

func (timeoutError) Error() string        { return "i/o timeout" }
func (timeoutError) Timeout() bool        { return true }
func (timeoutError) Temporary() bool      { return true }
func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

type canceledError struct{}

func (canceledError) Error() string        { return "operation was canceled" }
func (canceledError) Is(target error) bool { return target == context.Canceled }
