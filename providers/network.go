package providers

import (
	"context"
	"net"
)

// Network opens TCP connections and UDP sockets. It returns the standard
// [net.Listener], [net.Conn] and [net.PacketConn], so code written against them (bufio, encoding/binary,
// net/http's ReadRequest and Response.Write, a framing of your own) runs
// unchanged in production and in a simulation.
//
// In production ([Real]) it is package net. In a simulation every process,
// and the test driver, is a host with a name that reads like an IP address
// ("10.0.0.1"); its Network listens on its own ports and dials the others'.
// Connections there are byte streams like TCP's: the bytes of one direction
// arrive in order or the connection fails; they take simulated time to
// travel; a send buffer fills up and blocks a writer whose peer does not
// read; a listener has a backlog, and a connect that finds it full waits
// for an Accept; a connect to a port nobody listens on is refused; a
// connect nobody answers, and data nobody acknowledges, time out as on
// Linux (after 131 s and 924.6 s). The simulation injects faults
// (partitions, clogged links, random resets and silent drops, partial
// reads and writes, bit flips, refused and hanging connects), each
// configured by a field of chaos.Network.
//
// Errors are shaped as package net's, so production error handling runs in
// the simulation: a *net.OpError wrapping a *os.SyscallError for
// ECONNREFUSED, ECONNRESET, EPIPE, EADDRINUSE and ETIMEDOUT (test with
// errors.Is and the syscall constants; a reset or a time-out is told to
// one call, and later reads return io.EOF, as on Linux), [net.ErrClosed]
// for a closed connection or listener, [os.ErrDeadlineExceeded] when a
// deadline passes (the error's Timeout method reports true), a
// *net.AddrError for a malformed address, and a bare io.EOF once the peer
// has closed and every byte it sent is read.
//
// Datagrams ([Network.ListenPacket]) are UDP's: each WriteTo is one
// datagram that arrives whole, or not at all; a simulation loses,
// duplicates and reorders some (chaos.Network's Datagram fields), loses
// those that meet a partition, and fails a WriteTo larger than its
// maximum size with EMSGSIZE. A datagram to a port nobody listens on is
// dropped without a word, and ReadFrom with a buffer shorter than the
// datagram returns its first bytes and drops the rest, as package net does.
//
// Deadlines (SetDeadline, SetReadDeadline, SetWriteDeadline) are times on
// the host's own clock, the Time provider that comes with the Network: in a
// simulation, compute them from p.Time.Now(), never from time.Now().
type Network interface {
	// Listen announces on addr, "host:port". The host may be empty or this
	// host's own address; port 0 picks a free port, which the listener's
	// Addr tells. A loopback host (localhost, 127.0.0.1, ::1) listens on
	// the loopback alone, which other hosts cannot reach, and a listener
	// on this host's own address is not on the loopback, in a simulation
	// as in production; an empty host takes every address. ctx bounds
	// the call, not the listener's life.
	Listen(ctx context.Context, addr string) (net.Listener, error)
	// Dial connects to addr, "host:port". ctx bounds the connect: when it
	// ends first, Dial fails with "operation was canceled", which matches
	// context.Canceled, or for a deadline with "i/o timeout", whose
	// Timeout method reports true and which matches either
	// context.DeadlineExceeded or os.ErrDeadlineExceeded under errors.Is,
	// as a race in package net's connect decides; a simulation gives
	// both. Once connected, ctx has no effect on the connection.
	Dial(ctx context.Context, addr string) (net.Conn, error)
	// ListenPacket opens a UDP socket on addr, "host:port", as Listen
	// does for TCP: the host may be empty or this host's own address, and
	// port 0 picks a free port, which the socket's LocalAddr tells. Write
	// to another socket with WriteTo and an address such as ReadFrom
	// returns, or one from [ResolveUDP].
	ListenPacket(ctx context.Context, addr string) (net.PacketConn, error)
	// Host returns the address of this host, without a port: what others
	// dial to reach it. In production it is the machine's host name.
	Host() string
}

// ResolveUDP returns the address of addr, "host:port", for WriteTo on a
// socket of n: in a simulation, the simulated host of that name or
// address, with no DNS query; in production, the address package net
// resolves, a *net.UDPAddr, which a real socket's WriteTo needs (one of
// another type fails there). net.ResolveUDPAddr would ask the machine's
// DNS from inside a simulation, where the peers' names mean nothing. A
// Network that does not resolve (one of your own) gets net's resolver.
func ResolveUDP(ctx context.Context, n Network, addr string) (net.Addr, error) {
	if r, ok := n.(interface {
		ResolveUDP(ctx context.Context, addr string) (net.Addr, error)
	}); ok {
		return r.ResolveUDP(ctx, addr)
	}
	return realNetwork{}.ResolveUDP(ctx, addr)
}
