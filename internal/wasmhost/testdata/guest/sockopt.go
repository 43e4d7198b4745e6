package main

import (
	"errors"
	"fmt"
	"io"
	"net"
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
