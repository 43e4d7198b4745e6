package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// udpEcho answers every datagram that arrives on addr with its bytes in
// upper case, to the address it came from.
func udpEcho(addr string) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	fmt.Println("udpecho: read buffer", pc.(*net.UDPConn).SetReadBuffer(1<<20))
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		if _, err := pc.WriteTo(bytes.ToUpper(buf[:n]), from); err != nil {
			return err
		}
	}
}

// udpAsk sends n pings from an unbound socket to the echo server at
// "addr,n" and prints each reply, or that none came within a second.
// First it tells its own address and writes to a port nobody holds.
func udpAsk(arg string) error {
	addr, count, _ := strings.Cut(arg, ",")
	n, _ := strconv.Atoi(count)
	pc, err := net.ListenPacket("udp", ":0")
	if err != nil {
		return err
	}
	defer pc.Close()
	fmt.Println("udpask: local", ownAddr(pc.LocalAddr()))
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	nobody := &net.UDPAddr{IP: to.IP, Port: 9}
	w, err := pc.WriteTo([]byte("anyone?"), nobody)
	fmt.Println("udpask: to nobody", w, err)
	buf := make([]byte, 2048)
	for i := range n {
		if _, err := pc.WriteTo(fmt.Appendf(nil, "ping %d", i), to); err != nil {
			return err
		}
		pc.SetReadDeadline(time.Now().Add(time.Second))
		r, from, err := pc.ReadFrom(buf)
		if err != nil {
			fmt.Println("udpask: no reply", i, os.IsTimeout(err))
			continue
		}
		fmt.Printf("udpask: reply %q from the server %v\n", buf[:r], from.String() == to.String())
	}
	return nil
}

// ownAddr tells whether a is this host's address and an ephemeral port.
func ownAddr(a net.Addr) string {
	ua := a.(*net.UDPAddr)
	h, _ := os.Hostname()
	self, err := net.LookupHost(h)
	return fmt.Sprintf("own ip %v, ephemeral port %v", err == nil && len(self) > 0 && ua.IP.String() == self[0], ua.Port >= 49152)
}

// udpDial connects a UDP socket to addr, pings, and reads with a
// deadline of a second, then without one: the peer answers late.
func udpDial(addr string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	to, _ := net.ResolveUDPAddr("udp", addr)
	fmt.Println("udpdial: local", ownAddr(c.LocalAddr()), "remote", c.RemoteAddr().String() == to.String())
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	_, err = c.Write(make([]byte, 2000))
	fmt.Println("udpdial: too long", errors.Is(err, syscall.EMSGSIZE))
	_, err = c.(*net.UDPConn).WriteTo([]byte("x"), to)
	fmt.Println("udpdial: write to on a connected socket", err != nil)
	start := time.Now()
	buf := make([]byte, 100)
	c.SetReadDeadline(start.Add(time.Second))
	_, err = c.Read(buf)
	fmt.Println("udpdial: read", time.Since(start), errors.Is(err, os.ErrDeadlineExceeded), os.IsTimeout(err), err)
	c.SetReadDeadline(time.Time{})
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	fmt.Printf("udpdial: read %q after %v\n", buf[:n], time.Since(start).Round(time.Second))
	return nil
}

// udpRecv prints every datagram that arrives on addr of "addr,size",
// read with a buffer of size bytes.
func udpRecv(arg string) error {
	addr, size, _ := strings.Cut(arg, ",")
	n, _ := strconv.Atoi(size)
	pc, err := net.ListenUDP("udp", mustUDPAddr(addr))
	if err != nil {
		return err
	}
	buf := make([]byte, n)
	for {
		r, from, err := pc.ReadFromUDP(buf)
		if err != nil {
			return err
		}
		fmt.Printf("udprecv: %d %q from port %d\n", r, buf[:r], from.Port)
	}
}

func mustUDPAddr(addr string) *net.UDPAddr {
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		panic(err)
	}
	return a
}

// udpRefused writes from a connected socket to addr, where nobody holds
// the port, and tells how its reads and writes end; then from an
// unconnected socket.
func udpRefused(addr string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 100)
	_, err = c.Write([]byte("anyone?"))
	fmt.Println("udprefused: write", err)
	c.SetReadDeadline(time.Now().Add(time.Second))
	_, err = c.Read(buf)
	fmt.Println("udprefused: read refused", errors.Is(err, syscall.ECONNREFUSED))
	_, err = c.Read(buf)
	fmt.Println("udprefused: then", os.IsTimeout(err))
	_, err = c.Write([]byte("again"))
	fmt.Println("udprefused: write", err)
	time.Sleep(time.Second)
	_, err = c.Write([]byte("and again"))
	fmt.Println("udprefused: write refused", errors.Is(err, syscall.ECONNREFUSED))
	pc, err := net.ListenPacket("udp", ":0")
	if err != nil {
		return err
	}
	defer pc.Close()
	_, err = pc.WriteTo([]byte("anyone?"), mustUDPAddr(addr))
	fmt.Println("udprefused: unconnected write", err)
	pc.SetReadDeadline(time.Now().Add(time.Second))
	_, _, err = pc.ReadFrom(buf)
	fmt.Println("udprefused: unconnected read", os.IsTimeout(err))
	return nil
}

// udpRefusedLate pings its peer at addr from a connected socket and reads
// nothing while the reply arrives; then writes again, when the peer has
// closed its socket, and waits for the port unreachable; then reads
// twice.
func udpRefusedLate(addr string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	time.Sleep(time.Second)
	if _, err := c.Write([]byte("again")); err != nil {
		return err
	}
	time.Sleep(time.Second)
	buf := make([]byte, 100)
	for range 2 {
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		fmt.Printf("udprefusedlate: read %q refused %v\n", buf[:n], errors.Is(err, syscall.ECONNREFUSED))
	}
	return nil
}

//go:wasmimport moonpool sock_recv_from
func sockRecvFrom(fd int32, buf unsafe.Pointer, bufLen uint32, n unsafe.Pointer, from unsafe.Pointer, fromLen uint32, fromN unsafe.Pointer) uint32

// udpSmallFrom waits on addr for a datagram and asks the host for it
// with no room for its source address; then reads it as package net does.
func udpSmallFrom(addr string) error {
	pc, err := net.ListenUDP("udp", mustUDPAddr(addr))
	if err != nil {
		return err
	}
	defer pc.Close()
	raw, err := pc.SyscallConn()
	if err != nil {
		return err
	}
	buf := make([]byte, 100)
	var from [2]byte
	var n, fromN uint32
	var e syscall.Errno
	err = raw.Read(func(fd uintptr) bool {
		e = syscall.Errno(sockRecvFrom(int32(fd), unsafe.Pointer(&buf[0]), uint32(len(buf)), unsafe.Pointer(&n), unsafe.Pointer(&from[0]), uint32(len(from)), unsafe.Pointer(&fromN)))
		return e != syscall.EAGAIN
	})
	fmt.Println("udpsmallfrom: no room for the address:", err, e == syscall.ENAMETOOLONG)
	pc.SetReadDeadline(time.Now().Add(time.Second))
	r, src, err := pc.ReadFromUDP(buf)
	if err != nil {
		return err
	}
	fmt.Printf("udpsmallfrom: then %q from port %d\n", buf[:r], src.Port)
	return nil
}
