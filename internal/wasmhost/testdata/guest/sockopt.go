package main

import (
	"fmt"
	"net"
	"time"
)

// sockopts listens on addr, dials it, and sets on both ends of the
// connection the options servers set on every connection they accept or
// dial (etcd's listener fails an accept whose SetKeepAlive fails), printing
// each outcome.
func sockopts(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			fmt.Println("sockopts: accept:", err)
			close(accepted)
			return
		}
		accepted <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	defer d.Close()
	a, ok := <-accepted
	if !ok {
		return fmt.Errorf("no connection accepted")
	}
	defer a.Close()
	for _, end := range []struct {
		name string
		c    *net.TCPConn
	}{{"dialed", d.(*net.TCPConn)}, {"accepted", a.(*net.TCPConn)}} {
		c := end.c
		fmt.Println("sockopts:", end.name,
			c.SetKeepAlive(true),
			c.SetKeepAlivePeriod(30*time.Second),
			c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}),
			c.SetNoDelay(false),
			c.SetReadBuffer(1<<20),
			c.SetWriteBuffer(1<<20))
	}
	// The connection still carries bytes after its options are set.
	if _, err := d.Write([]byte("x")); err != nil {
		return err
	}
	b := make([]byte, 1)
	if _, err := a.Read(b); err != nil {
		return err
	}
	fmt.Printf("sockopts: read %q\n", b)
	return nil
}
