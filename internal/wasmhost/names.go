package wasmhost

import (
	"fmt"
	"hash/fnv"
	"net"
	"slices"

	"github.com/moonpool-go/moonpool/providers"
)

// names gives every simulated host name an IPv4 address, the same in
// every instance, so that the program's resolver (package net asks the
// host through the overlay's lookup) turns names into addresses and the
// host turns them back when the program dials.
type names struct {
	self  string
	peers []string
	toIP  map[string]string
	toNet map[string]string
}

func newNames(p providers.Providers) *names {
	n := &names{toIP: map[string]string{}, toNet: map[string]string{}}
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
		n.ip(h)
	}
	return n
}

// ip returns the address of the host named h: h itself for an IP
// literal, otherwise an address in 10.0.0.0/8 drawn from a hash of h.
func (n *names) ip(h string) string {
	if net.ParseIP(h) != nil {
		return h
	}
	if ip, ok := n.toIP[h]; ok {
		return ip
	}
	f := fnv.New32a()
	f.Write([]byte(h))
	for {
		v := f.Sum32()
		ip := fmt.Sprintf("10.%d.%d.%d", byte(v>>16), byte(v>>8), byte(v)%254+1)
		if _, taken := n.toNet[ip]; !taken {
			n.toIP[h], n.toNet[ip] = ip, h
			return ip
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
	if h, ok := n.toNet[ip]; ok {
		return h
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
