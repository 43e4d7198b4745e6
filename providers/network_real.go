package providers

import (
	"context"
	"net"
	"net/netip"
	"os"
)

// realNetwork is package net over TCP and UDP.
type realNetwork struct{}

func (realNetwork) Listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp", addr)
}

func (realNetwork) Dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func (realNetwork) ListenPacket(ctx context.Context, addr string) (net.PacketConn, error) {
	var lc net.ListenConfig
	return lc.ListenPacket(ctx, "udp", addr)
}

func (realNetwork) Host() string {
	name, err := os.Hostname()
	if err != nil || name == "" {
		return "localhost"
	}
	return name
}

func (realNetwork) ResolveUDP(ctx context.Context, addr string) (net.Addr, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var r net.Resolver
	p, err := r.LookupPort(ctx, "udp", port)
	if err != nil {
		return nil, err
	}
	if host == "" {
		return &net.UDPAddr{Port: p}, nil // this host, as net.ResolveUDPAddr has it
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	// As net.ResolveUDPAddr does, an IPv4 address first.
	ip := ips[0]
	for _, a := range ips {
		if a.Unmap().Is4() {
			ip = a
			break
		}
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip.Unmap(), uint16(p))), nil
}
