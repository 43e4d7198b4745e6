package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// loopback listens on 127.0.0.1 at port, tells where, dials it over
// loopback and through its own host's name, then serves on.
func loopback(port string) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return err
	}
	fmt.Println("loopback: listening on", ln.Addr())
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				fmt.Fprintf(c, "%s from %s to %s", strings.ToUpper(line), c.RemoteAddr(), c.LocalAddr())
			}()
		}
	}()
	for _, host := range []string{"127.0.0.1", "localhost"} {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), time.Second)
		if err != nil {
			return err
		}
		fmt.Fprintln(c, "hi")
		reply, err := io.ReadAll(c)
		c.Close()
		fmt.Printf("loopback: %s: %q %v, local %s\n", host, reply, err, c.LocalAddr().(*net.TCPAddr).IP)
	}
	own, err := os.Hostname()
	if err != nil {
		return err
	}
	_, err = net.DialTimeout("tcp", net.JoinHostPort(own, port), time.Second)
	fmt.Println("loopback: own name refused:", errors.Is(err, syscall.ECONNREFUSED))
	select {}
}

// dialOnce dials addr once and tells whether it was refused.
func dialOnce(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err == nil {
		c.Close()
	}
	fmt.Println("dialonce: refused:", errors.Is(err, syscall.ECONNREFUSED), err == nil)
	return nil
}

// badPort listens, binds a datagram socket and dials at port, one
// Linux refuses (out of range), as a program that builds its address
// from a number does, and tells each error.
func badPort(arg string) {
	port, _ := strconv.Atoi(arg)
	lo := net.IPv4(127, 0, 0, 1)
	_, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4zero, Port: port})
	fmt.Println("listen:", err, errors.Is(err, syscall.EINVAL))
	_, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4zero, Port: port})
	fmt.Println("listenudp:", err, errors.Is(err, syscall.EINVAL))
	_, err = net.DialTCP("tcp", nil, &net.TCPAddr{IP: lo, Port: port})
	fmt.Println("dial:", err, errors.Is(err, syscall.EINVAL))
	_, err = net.DialUDP("udp", nil, &net.UDPAddr{IP: lo, Port: port})
	fmt.Println("dialudp:", err, errors.Is(err, syscall.EINVAL))
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: lo, Port: 4000})
	if err == nil {
		_, err = u.WriteToUDP([]byte("x"), &net.UDPAddr{IP: lo, Port: port})
		u.Close()
	}
	fmt.Println("writeto:", err, errors.Is(err, syscall.EINVAL))
}

// udpLoopback binds a UDP socket to 127.0.0.1 at port, tells where,
// sends it a datagram from the same host over loopback and reads it, then
// echoes what arrives, telling who sent it.
func udpLoopback(port string) error {
	pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return err
	}
	fmt.Println("udploopback: bound to", pc.LocalAddr())
	own, err := net.ListenPacket("udp", ":0")
	if err != nil {
		return err
	}
	to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: pc.LocalAddr().(*net.UDPAddr).Port}
	if _, err := own.WriteTo([]byte("near"), to); err != nil {
		return err
	}
	buf := make([]byte, 100)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		fmt.Printf("udploopback: %q from loopback %v\n", buf[:n], from.(*net.UDPAddr).IP.IsLoopback())
	}
}

// bound listens on its host's own address at port, tells what a dial
// over loopback and one to the address do, then listens on 127.0.0.1 at
// the same port beside it and on every address, then does the same with
// datagram sockets; each listener answers with its own name, and serves
// on.
func bound(port string) error {
	h, err := os.Hostname()
	if err != nil {
		return err
	}
	ips, err := net.LookupHost(h)
	if err != nil {
		return err
	}
	own := ips[0]
	serve := func(host, name string) error {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			return err
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				fmt.Fprint(c, name)
				c.Close()
			}
		}()
		return nil
	}
	ask := func(host string) string {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), time.Second)
		if err != nil {
			return fmt.Sprintf("refused %v", errors.Is(err, syscall.ECONNREFUSED))
		}
		defer c.Close()
		reply, err := io.ReadAll(c)
		if err != nil {
			return err.Error()
		}
		return string(reply)
	}
	if err := serve(own, "own"); err != nil {
		return err
	}
	fmt.Println("bound: 127.0.0.1:", ask("127.0.0.1"), "own:", ask(own))
	if err := serve("127.0.0.1", "lo"); err != nil {
		return err
	}
	fmt.Println("bound: 127.0.0.1:", ask("127.0.0.1"), "own:", ask(own))
	err = serve("", "all")
	fmt.Println("bound: every address in use:", errors.Is(err, syscall.EADDRINUSE))

	pc, err := net.ListenPacket("udp", net.JoinHostPort(own, port))
	if err != nil {
		return err
	}
	from, err := net.ListenPacket("udp", ":0")
	if err != nil {
		return err
	}
	p, _ := strconv.Atoi(port)
	for _, to := range []net.IP{net.IPv4(127, 0, 0, 1), net.ParseIP(own)} {
		if _, err := from.WriteTo([]byte("to "+to.String()), &net.UDPAddr{IP: to, Port: p}); err != nil {
			return err
		}
	}
	buf := make([]byte, 100)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		return err
	}
	fmt.Printf("bound: udp: first heard is to own: %v\n", string(buf[:n]) == "to "+own)
	_, err = net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", port))
	fmt.Println("bound: udp 127.0.0.1 beside it:", err)
	select {}
}
