package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// sockOpts sets every option package net has on a connection it dials
// to itself and on the one it accepts, then closes the dialled one with
// a linger of zero and tells how the accepted one's read ends.
func sockOpts() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	s, err := ln.Accept()
	if err != nil {
		return err
	}
	tc, ts := c.(*net.TCPConn), s.(*net.TCPConn)
	fmt.Println("sockopts: read buffer", tc.SetReadBuffer(1<<20), ts.SetReadBuffer(1<<20))
	fmt.Println("sockopts: write buffer", tc.SetWriteBuffer(1<<20), ts.SetWriteBuffer(1<<20))
	fmt.Println("sockopts: keep-alive", tc.SetKeepAlive(true), ts.SetKeepAlive(false))
	fmt.Println("sockopts: keep-alive period", tc.SetKeepAlivePeriod(30*time.Second))
	fmt.Println("sockopts: keep-alive config", tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: time.Minute, Interval: 10 * time.Second, Count: 5}))
	fmt.Println("sockopts: no delay", tc.SetNoDelay(false), ts.SetNoDelay(true))
	fmt.Println("sockopts: linger", tc.SetLinger(5), tc.SetLinger(-1), tc.SetLinger(0))
	if _, err := c.Write([]byte("dropped or read")); err != nil {
		return err
	}
	fmt.Println("sockopts: close", c.Close())
	_, err = io.ReadAll(s)
	fmt.Println("sockopts: peer's read:", errors.Is(err, syscall.ECONNRESET))
	return nil
}

// linger dials addr, writes, and closes with a linger of zero.
func linger(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	if _, err := c.Write([]byte("before the reset\n")); err != nil {
		return err
	}
	time.Sleep(time.Second)
	fmt.Println("linger:", c.(*net.TCPConn).SetLinger(0), c.Close())
	return nil
}

// keepAlive dials addr with Go's default keep-alives, or with none
// (how "none": a Dialer's KeepAlive of -1), or with short ones ("short")
// or off ("off"), set on the connection; it writes a byte and reads
// until the connection fails or three minutes pass, past Go's default
// drop: it tells how the read ended and when.
func keepAlive(addr, how string) error {
	var d net.Dialer
	if how == "none" {
		d.KeepAlive = -1
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	tc := c.(*net.TCPConn)
	switch how {
	case "short":
		err = tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 2 * time.Second, Interval: time.Second, Count: 2})
	case "off":
		err = tc.SetKeepAlive(false)
	}
	if err != nil {
		return err
	}
	if _, err := c.Write([]byte("x")); err != nil {
		return err
	}
	start := time.Now()
	if err := c.SetReadDeadline(start.Add(3 * time.Minute)); err != nil {
		return err
	}
	_, err = c.Read(make([]byte, 1))
	fmt.Println("keepalive:", errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, os.ErrDeadlineExceeded), time.Since(start).Round(time.Second))
	return c.Close()
}
