package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
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
