package wasmhost

import (
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// names gives every simulated host name an IPv4 address, the same in
// every instance, so that the program's resolver (package net asks the
// host through the overlay's lookup) turns names into addresses and the
// host turns them back when the program dials.
type names struct {
	self  string
	peers []string
	toIP  map[string]netip.Addr
	toNet map[netip.Addr]string
}

func newNames(p providers.Providers) *names {
	n := &names{toIP: map[string]netip.Addr{}, toNet: map[netip.Addr]string{}}
	if p.Network != nil {
		n.self = p.Network.Host()
	}
	if p.Cluster != nil {
		for _, peer := range p.Cluster.Peers() {
			n.peers = append(n.peers, peer.Host)
		}
	}
	if n.self != "" && !slices.Contains(n.peers, n.self) {
		n.peers = append(n.peers, n.self)
	}
	for _, h := range n.peers {
		n.addr(h)
	}
	return n
}

// ip returns the address of the host named h as text: h itself for an
// IP literal.
func (n *names) ip(h string) string {
	if net.ParseIP(h) != nil {
		return h
	}
	return n.addr(h).String()
}

// addr returns the address of the host named h: h's own for an IP
// literal, otherwise an address in 10.0.0.0/8 drawn from a hash of h.
func (n *names) addr(h string) netip.Addr {
	if a, ok := n.toIP[h]; ok {
		return a
	}
	if ip := net.ParseIP(h); ip != nil {
		a, _ := netip.AddrFromSlice(ip)
		return a.Unmap()
	}
	f := fnv.New32a()
	f.Write([]byte(h))
	for {
		v := f.Sum32()
		a := netip.AddrFrom4([4]byte{10, byte(v >> 16), byte(v >> 8), byte(v)%254 + 1})
		if _, taken := n.toNet[a]; !taken {
			n.toIP[h], n.toNet[a] = a, h
			return a
		}
		f.Write([]byte{0})
	}
}

// known reports whether h is this host or a peer of its cluster.
func (n *names) known(h string) bool {
	return h == n.self || slices.Contains(n.peers, h)
}

// hostOf returns the simulated host name of the address ip: the name an
// address was given for (this host's own for its own address, which is
// not its loopback), or the literal.
func (n *names) hostOf(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		if h, ok := n.toNet[a.Unmap()]; ok {
			return h
		}
	}
	return ip
}

// netAddr rewrites a program's "ip:port" into the simulated network's
// "host:port".
func (n *names) netAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	// A port out of range is the program's to be told of, as Linux tells
	// a bind or a connect to it: EINVAL, not the network's error.
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("port %s of %s is out of range: %w", port, addr, err)
	}
	switch host {
	case "", "0.0.0.0", "::", "127.0.0.1", "::1", "localhost":
		return net.JoinHostPort(host, port), nil
	}
	return net.JoinHostPort(n.hostOf(host), port), nil
}

// guestAddr rewrites a simulated address into the "ip:port" the program
// sees.
func (n *names) guestAddr(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return ""
	}
	return net.JoinHostPort(n.ip(host), port)
}

// guestAddrPort returns the IP and port the program sees for a datagram
// socket's address a, with no text made or parsed for the network's own
// address types.
func (n *names) guestAddrPort(a net.Addr) (netip.AddrPort, bool) {
	switch a := a.(type) {
	case *simnet.UDPAddr:
		return netip.AddrPortFrom(n.addr(a.Host), uint16(a.Port)), true
	case *net.UDPAddr:
		ip, ok := netip.AddrFromSlice(a.IP)
		return netip.AddrPortFrom(ip.Unmap(), uint16(a.Port)), ok
	case nil:
		return netip.AddrPort{}, false
	}
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return netip.AddrPort{}, false
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(n.addr(host), uint16(p)), true
}

// udpAddr returns the simulated network's address for the program's
// datagram to ap: the host's name for an address a name was given,
// which the network resolves without parsing, or the IP itself.
func (n *names) udpAddr(ap netip.AddrPort) net.Addr {
	if h, ok := n.toNet[ap.Addr()]; ok {
		return &simnet.UDPAddr{Host: h, Port: int(ap.Port())}
	}
	return net.UDPAddrFromAddrPort(ap)
}
