package providers_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// greet is production code: it gets its network and clock from its
// providers, so the same function runs over package net, as here, and in a
// simulation, where p.Network is a simulated host.
func greet(ctx context.Context, p providers.Providers, addr, name string) (string, error) {
	c, err := p.Network.Dial(ctx, addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	// Deadlines are times on the providers' clock.
	if err := c.SetDeadline(p.Time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	if _, err := fmt.Fprintf(c, "%s\n", name); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func serveGreetings(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		name, _ := bufio.NewReader(c).ReadString('\n')
		fmt.Fprintf(c, "hello, %s\n", strings.TrimSpace(name))
		c.Close()
	}
}

func ExampleNetwork() {
	p := providers.Real()
	ctx := context.Background()
	l, err := p.Network.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	go serveGreetings(l)

	reply, err := greet(ctx, p, l.Addr().String(), "gopher")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(reply)
	// Output: hello, gopher
}

// ask is production code over datagrams: it sends a request and resends
// it until an answer comes, as a protocol over UDP must, since a datagram
// may be lost (and, in a simulation, is).
func ask(ctx context.Context, p providers.Providers, server net.Addr, req string) (string, error) {
	pc, err := p.Network.ListenPacket(ctx, ":0")
	if err != nil {
		return "", err
	}
	defer pc.Close()
	buf := make([]byte, 1472)
	for range 10 {
		if _, err := pc.WriteTo([]byte(req), server); err != nil {
			return "", err
		}
		if err := pc.SetReadDeadline(p.Time.Now().Add(100 * time.Millisecond)); err != nil {
			return "", err
		}
		n, _, err := pc.ReadFrom(buf)
		if err == nil {
			return string(buf[:n]), nil
		}
		// A timeout: the request or the answer was lost; resend.
	}
	return "", fmt.Errorf("no answer from %v after 10 tries", server)
}

func ExampleNetwork_datagrams() {
	p := providers.Real()
	ctx := context.Background()
	srv, err := p.Network.ListenPacket(ctx, "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 1472)
		for {
			n, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			srv.WriteTo([]byte("hello, "+string(buf[:n])), from)
		}
	}()

	reply, err := ask(ctx, p, srv.LocalAddr(), "gopher")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(reply)
	// Output: hello, gopher
}

// A datagram to a peer named by "host:port": ResolveUDP gives the address
// WriteTo takes, here from package net, in a simulation from its hosts.
func ExampleResolveUDP() {
	p := providers.Real()
	ctx := context.Background()
	in, err := p.Network.ListenPacket(ctx, "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer in.Close()
	out, err := p.Network.ListenPacket(ctx, "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer out.Close()

	to, err := providers.ResolveUDP(ctx, p.Network, in.LocalAddr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := out.WriteTo([]byte("ping"), to); err != nil {
		fmt.Println(err)
		return
	}
	buf := make([]byte, 16)
	n, _, err := in.ReadFrom(buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(buf[:n]))
	// Output: ping
}
