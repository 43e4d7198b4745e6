// Command guest is a program that the host's tests run as a simulated
// process: each argument names a thing to do.
package main

import (
	"bufio"
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/simctx"
)

// computeStretches is how many stretches of computation "compute" runs.
const computeStretches = 300

// initDraw is drawn by a package initializer: the same in every process
// started from one snapshot.
var initDraw = rand.Int63()

// init reaches outside the program when GUEST_INIT asks it to, which
// keeps the program from starting from a snapshot.
func init() {
	switch os.Getenv("GUEST_INIT") {
	case "clock":
		_ = time.Now()
	case "file":
		_, _ = os.ReadFile("/absent")
	case "print":
		fmt.Println("initializing")
	case "cpuspin":
		for n := 0; ; n++ {
		}
	}
}

func main() {
	for _, a := range os.Args[1:] {
		if err := run(a); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", a, err)
			os.Exit(3)
		}
	}
}

func run(what string) error {
	cmd, arg, _ := strings.Cut(what, "=")
	switch cmd {
	case "hello":
		fmt.Println("hello from", os.Getenv("WHO"))
	case "clock":
		t0 := time.Now()
		time.Sleep(1500 * time.Millisecond)
		fmt.Println("slept", time.Since(t0), "at", time.Now().UTC().Format(time.RFC3339Nano))
	case "random":
		var b [8]byte
		crand.Read(b[:])
		fmt.Println("crypto", hex.EncodeToString(b[:]), "math", rand.Int63(), "init", initDraw)
	case "goroutines":
		return goroutines()
	case "files":
		return files()
	case "echo":
		return echo(arg)
	case "udpecho":
		return udpEcho(arg)
	case "udpask":
		return udpAsk(arg)
	case "udpdial":
		return udpDial(arg)
	case "udprecv":
		return udpRecv(arg)
	case "udprefused":
		return udpRefused(arg)
	case "udprefusedlate":
		return udpRefusedLate(arg)
	case "udpsmallfrom":
		return udpSmallFrom(arg)
	case "serve":
		return serve(arg)
	case "loopback":
		return loopback(arg)
	case "bound":
		return bound(arg)
	case "dialonce":
		return dialOnce(arg)
	case "badport":
		badPort(arg)
	case "udploopback":
		return udpLoopback(arg)
	case "sockopts":
		return sockOpts()
	case "linger":
		return linger(arg)
	case "keepalive-default", "keepalive-none", "keepalive-short", "keepalive-off":
		return keepAlive(arg, strings.TrimPrefix(cmd, "keepalive-"))
	case "dial":
		return dial(arg)
	case "http":
		return httpServe(arg)
	case "httpget":
		return httpGet(arg)
	case "exit":
		fmt.Fprintln(os.Stderr, "cannot start: no configuration")
		os.Exit(2)
	case "spin":
		for {
			_ = time.Now()
		}
	case "compute":
		// Stretches of computation, each some milliseconds, with a call
		// of the host (the clock) between them: short, so that a loaded
		// machine under -race still calls the host within the second a
		// stack sample waits for it.
		fmt.Println("computing")
		n := uint64(1)
		for range computeStretches {
			for range 5_000_000 {
				n = n*6364136223846793005 + 1442695040888963407
			}
			_ = time.Now()
		}
		fmt.Println("computed", n%2)
	case "slog":
		slog.New(slog.NewTextHandler(os.Stderr, nil)).Warn("guest says", "k", 1, "who", "g w")
	case "stdlog":
		// The log package's lines in HashiCorp's convention, as memberlist
		// writes them.
		l := log.New(os.Stderr, "", log.LstdFlags)
		l.Printf("[DEBUG] memberlist: Stream connection from=%s", "10.0.0.1:49161")
		l.Printf("[WARN] memberlist: Refuting a suspect message (from: %s)", "n-1")
		l.Printf("a plain line")
	case "hostname":
		h, err := os.Hostname()
		fmt.Println("hostname", h, err)
	case "interfaces":
		// Lists the interfaces and their addresses, as a server that
		// listens on 0.0.0.0 does to find the address it advertises, and
		// dials each address found on a port it listens on.
		ifs, err := net.Interfaces()
		fmt.Println("interfaces", len(ifs), err)
		ln, lerr := net.Listen("tcp", ":"+arg)
		if lerr != nil {
			return lerr
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		for _, ifi := range ifs {
			addrs, err := ifi.Addrs()
			fmt.Println("if", ifi.Index, ifi.Name, ifi.Flags, ifi.MTU, len(ifi.HardwareAddr), addrs, err)
			for _, a := range addrs {
				ip := a.(*net.IPNet).IP
				c, err := net.DialTimeout("tcp", net.JoinHostPort(ip.String(), arg), time.Second)
				if err == nil {
					c.Close()
				}
				fmt.Println("dial", ip.IsGlobalUnicast(), err)
			}
		}
		all, err := net.InterfaceAddrs()
		fmt.Println("all", all, err)
		h, _ := os.Hostname()
		self, err := net.LookupHost(h)
		fmt.Println("self", self, err)
		byName, err := net.InterfaceByName("eth0")
		fmt.Println("eth0", byName != nil && byName.Index == 2, err)
		_, err = net.InterfaceByIndex(7)
		fmt.Println("index 7", err)
	case "stdstat":
		// Tells what kind of file each standard descriptor is, as a
		// program that colors its output on a terminal asks.
		for _, f := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			fmt.Println(f.Name(), fi.Mode()&os.ModeCharDevice != 0, fi.Mode()&os.ModeSocket != 0)
		}
	case "seed":
		fmt.Println("seed", simctx.From(context.Background()).Seed())
	case "blast":
		// Write and exit at once, without closing: the data still goes out.
		c, err := net.Dial("tcp", arg)
		if err != nil {
			return err
		}
		c.Write(make([]byte, 200<<10))
		os.Exit(0)
	case "nanosleeps":
		for i := range 1000 {
			time.Sleep(time.Duration(i%3 + 1))
		}
		fmt.Println("slept 1000 times")
	case "hold":
		// Writes a file of arg bytes, removes it and exits with it
		// still open.
		n, _ := strconv.Atoi(arg)
		f, err := os.Create("/held")
		if err != nil {
			return err
		}
		if _, err := f.Write(make([]byte, n)); err != nil {
			return err
		}
		return os.Remove("/held")
	case "appendlog":
		// Reports the log's size, then appends numbered records to it,
		// syncing every fourth and reporting what is synced.
		fi, err := os.Stat("/log")
		if err == nil {
			fmt.Println("log holds", fi.Size())
		}
		f, err := os.OpenFile("/log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		size := int64(0)
		if fi != nil {
			size = fi.Size()
		}
		for i := 1; ; i++ {
			rec := fmt.Sprintf("%0100d", i)
			if _, err := f.WriteString(rec); err != nil {
				return err
			}
			size += int64(len(rec))
			if i%4 == 0 {
				if err := f.Sync(); err != nil {
					return err
				}
				fmt.Println("synced", size)
			}
		}
	case "writes":
		// Writes arg small records to a file, never syncing.
		n, _ := strconv.Atoi(arg)
		f, err := os.Create("/records")
		if err != nil {
			return err
		}
		for i := range n {
			if _, err := fmt.Fprintf(f, "record %d\n", i); err != nil {
				return err
			}
		}
		fmt.Println("wrote", n)
	case "oneline":
		// Serves one line on each connection and closes it, leaving
		// whatever else the client sent unread.
		ln, err := net.Listen("tcp", arg)
		if err != nil {
			return err
		}
		for {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			// A byte at a time, so that what follows the line stays
			// unread in the socket.
			var line []byte
			b := make([]byte, 1)
			for len(line) == 0 || line[len(line)-1] != '\n' {
				if _, err := c.Read(b); err != nil {
					break
				}
				line = append(line, b[0])
			}
			c.Write(bytes.ToUpper(line))
			c.Close()
		}
	case "closelistener":
		// Closes its listener, never accepting, a second after it opens.
		ln, err := net.Listen("tcp", arg)
		if err != nil {
			return err
		}
		time.Sleep(time.Second)
		ln.Close()
		time.Sleep(time.Second)
	case "fill":
		// Writes arg bytes to a file at once, and tells how many went.
		n, _ := strconv.Atoi(arg)
		f, err := os.Create("/fill")
		if err != nil {
			return err
		}
		wrote, err := f.Write(make([]byte, n))
		fi, _ := f.Stat()
		fmt.Println("wrote", wrote, "size", fi.Size(), "full", errors.Is(err, syscall.ENOSPC))
	case "badnames":
		// Names the disk refuses, as Linux refuses them.
		long := "/" + strings.Repeat("n", 256)
		fmt.Println("long:", os.WriteFile(long, nil, 0o644))
		fmt.Println("root:", os.Rename("/", "/elsewhere"))
	case "syncdir":
		// Syncs a directory, as a program does to make a create or a
		// rename durable, and tells how long the sync took.
		if err := os.MkdirAll("/d", 0o755); err != nil {
			return err
		}
		d, err := os.Open("/d")
		if err != nil {
			return err
		}
		t0 := time.Now()
		err = d.Sync()
		fmt.Println("synced", err, time.Since(t0) > 0)
		d.Close()
	case "partial":
		fmt.Print("a line without its end")
		time.Sleep(time.Hour)
	case "nothing":
	case "heap":
		// Takes arg MiB of fresh heap, counts the MiB that did not come
		// zeroed, fills each, and tells where the last lies.
		n, _ := strconv.Atoi(arg)
		var held [][]byte
		dirty := 0
		for range n {
			b := make([]byte, 1<<20)
			if !bytes.Equal(b, make([]byte, len(b))) {
				dirty++
			}
			for i := range b {
				b[i] = 0xff
			}
			held = append(held, b)
		}
		fmt.Printf("dirty %d last %p\n", dirty, &held[n-1][0])
	case "pollforever":
		fmt.Println("woke", pollForever())
	case "sleeps":
		n, _ := strconv.Atoi(arg)
		for range n {
			time.Sleep(time.Millisecond)
		}
	case "rtt", "udprtt":
		addr, count, _ := strings.Cut(arg, ",")
		n, _ := strconv.Atoi(count)
		network := "tcp"
		if cmd == "udprtt" {
			network = "udp" // a connected socket: a datagram each way
		}
		return rtt(network, addr, n)
	case "rttpair":
		return rttPair(arg)
	case "cpuspin":
		n := 0
		for {
			n++
		}
	case "signal":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("waiting for a signal")
		s := <-c
		signal.Stop(c)
		fmt.Println("got", s)
		time.Sleep(100 * time.Millisecond)
		fmt.Println("clean exit")
	case "stubborn":
		// Takes SIGTERM and goes on anyway.
		signal.Ignore(syscall.SIGINT)
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		for {
			select {
			case s := <-c:
				fmt.Println("ignoring", s)
			case <-time.After(time.Second):
				fmt.Println("tick")
			}
		}
	case "interrupt":
		// Listens for SIGINT only: SIGTERM keeps its default action.
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt)
		for {
			select {
			case s := <-c:
				fmt.Println("got", s)
			case <-time.After(time.Second):
				fmt.Println("tick")
			}
		}
	case "lookup":
		// Looks each name up, then dials it, and tells whether each
		// failed as "no such host".
		for _, name := range strings.Split(arg, ",") {
			var dnsErr *net.DNSError
			addrs, err := net.LookupHost(name)
			fmt.Println("lookup", name, len(addrs), err, errors.As(err, &dnsErr) && dnsErr.IsNotFound)
			_, err = net.DialTimeout("tcp", net.JoinHostPort(name, "9"), time.Second)
			fmt.Println("dial", name, errors.As(err, &dnsErr) && dnsErr.IsNotFound)
		}
	case "writereset":
		// Dials, waits for the peer to reset the connection, and writes
		// twice.
		c, err := net.Dial("tcp", arg)
		if err != nil {
			return err
		}
		time.Sleep(time.Second)
		for range 2 {
			_, err := c.Write([]byte("x"))
			fmt.Println("write:", err != nil, errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE))
		}
	case "dialwait":
		// Dials once with no timeout, and tells how it ended and when.
		start := time.Now()
		_, err := net.Dial("tcp", arg)
		fmt.Println("dial:", time.Since(start).Round(time.Second), errors.Is(err, syscall.ETIMEDOUT), os.IsTimeout(err), err)
	case "writewait":
		// Dials, lets the peer cut itself off, writes, and tells how
		// the reads that follow end, and when.
		c, err := net.Dial("tcp", arg)
		if err != nil {
			return err
		}
		time.Sleep(time.Second)
		start := time.Now()
		_, err = c.Write([]byte("never acknowledged"))
		fmt.Println("write:", err)
		_, err = c.Read(make([]byte, 1))
		fmt.Println("read:", time.Since(start).Round(time.Second), errors.Is(err, syscall.ETIMEDOUT), os.IsTimeout(err))
		_, err = c.Read(make([]byte, 1))
		fmt.Println("read:", err == io.EOF)
	case "readreset":
		// Dials twice; the peer resets both connections. Reads the
		// first twice, then writes to the second and reads it.
		var cs [2]net.Conn
		for i := range cs {
			c, err := net.Dial("tcp", arg)
			if err != nil {
				return err
			}
			cs[i] = c
		}
		time.Sleep(time.Second)
		for range 2 {
			n, err := cs[0].Read(make([]byte, 1))
			fmt.Println("read:", n, errors.Is(err, syscall.ECONNRESET), err == io.EOF)
		}
		_, err := cs[1].Write([]byte("x"))
		fmt.Println("write:", errors.Is(err, syscall.ECONNRESET))
		n, err := cs[1].Read(make([]byte, 1))
		fmt.Println("read:", n, errors.Is(err, syscall.ECONNRESET), err == io.EOF)
	case "ignoreterm":
		// Ignores SIGTERM, and goes on.
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ignored", signal.Ignored(syscall.SIGTERM))
		for {
			time.Sleep(time.Second)
			fmt.Println("tick")
		}
	case "unignore":
		// Ignores SIGTERM, then listens for it after all.
		signal.Ignore(syscall.SIGTERM)
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("ignored", signal.Ignored(syscall.SIGTERM))
		fmt.Println("got", <-c)
	case "tmp":
		// Tells what the temporary directory holds, then makes a
		// directory and a file in it.
		ents, err := os.ReadDir(os.TempDir())
		fmt.Println("tempdir", os.TempDir(), len(ents), err)
		d, err := os.MkdirTemp("", "work")
		if err != nil {
			return err
		}
		if err := os.WriteFile(d+"/f", []byte("temporary"), 0o600); err != nil {
			return err
		}
		b, err := os.ReadFile(d + "/f")
		fmt.Println("made", strings.HasPrefix(d, "/tmp/work"), string(b), err)
		err = os.Rename(d+"/f", "/f")
		fmt.Println("rename out of /tmp:", errors.Is(err, syscall.EXDEV))
		root, err := os.ReadDir("/")
		fmt.Println("root lists", len(root), err)
	case "logexit":
		// Many lines of slog JSON, then an exit on purpose.
		n, _ := strconv.Atoi(arg)
		log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
		for i := range n {
			log.Info("op done", "i", i, "req_id", fmt.Sprintf("%016x", i*7919), "account", "quoter-0", "amount", i)
		}
		log.Error("final", "err", "gave up after 8 tries")
		os.Exit(1)
	case "logpanic":
		// Many lines of log, goroutines waiting, and a panic whose
		// every goroutine's stack runs past the end of standard error
		// that an ExitError keeps.
		n, _ := strconv.Atoi(arg)
		for i := range n {
			fmt.Fprintf(os.Stderr, "applied add %d\n", i)
		}
		debug.SetTraceback("all")
		block := make(chan int)
		for range 400 {
			go func() { <-block }()
		}
		time.Sleep(time.Millisecond)
		panic("the journal is corrupt")
	case "exitfirst":
		// The first boot on a disk exits with status arg, as a service
		// does on a fault a restart recovers from; later boots go on.
		if _, err := os.Stat("/exited"); err == nil {
			fmt.Println("up again")
			return nil
		}
		if err := os.WriteFile("/exited", nil, 0o644); err != nil {
			return err
		}
		code, _ := strconv.Atoi(arg)
		fmt.Fprintln(os.Stderr, "giving up: disk fault")
		os.Exit(code)
	case "forever":
		for {
			time.Sleep(time.Second)
			fmt.Println("tick")
		}
	case "assert":
		ctx := context.Background()
		assertions.Always(ctx, arg != "fail", "guest always", "arg", arg)
		assertions.Sometimes(ctx, true, "guest sometimes")
		n := 0
		for range 20 {
			if chaos.Buggify(ctx) {
				n++
			}
		}
		fmt.Println("buggified", n)
	case "crashpoint":
		// Appends a byte, marks a crash point, syncs, and again, every
		// 20ms: a crash point that fires crashes the process there.
		f, err := os.OpenFile("/decisions", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		for {
			if _, err := f.Write([]byte{'d'}); err != nil {
				return err
			}
			chaos.CrashPoint(context.Background())
			if err := f.Sync(); err != nil {
				return err
			}
			time.Sleep(20 * time.Millisecond)
		}
	case "mmap":
		return mmapShow()
	case "mmaplog":
		return mmapLog(arg)
	case "mmapstore":
		return mmapStore()
	case "mmapwal":
		return mmapWAL(arg)
	case "mmapshare":
		return mmapShare(arg)
	default:
		return fmt.Errorf("unknown command %q", cmd)
	}
	return nil
}

func goroutines() error {
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 3 {
				select {
				case <-time.After(time.Duration(rand.Intn(50)) * time.Millisecond):
				}
				mu.Lock()
				order = append(order, i*10+j)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	m := map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true}
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	fmt.Println("order", order, "map", keys)
	return nil
}

func files() error {
	if err := os.MkdirAll("/data/sub", 0o755); err != nil {
		return err
	}
	if err := os.WriteFile("/data/sub/a.txt", []byte("alpha\n"), 0o644); err != nil {
		return err
	}
	f, err := os.OpenFile("/data/sub/b.txt", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintln(f, "beta")
	if err := f.Sync(); err != nil {
		return err
	}
	f.Close()
	if err := os.Rename("/data/sub/b.txt", "/data/sub/c.txt"); err != nil {
		return err
	}
	ents, err := os.ReadDir("/data/sub")
	if err != nil {
		return err
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	b, err := os.ReadFile("/data/sub/c.txt")
	if err != nil {
		return err
	}
	fi, err := os.Stat("/data/sub/a.txt")
	if err != nil {
		return err
	}
	if err := os.Remove("/data/sub/a.txt"); err != nil {
		return err
	}
	_, err = os.Stat("/data/sub/a.txt")
	fmt.Printf("files %v %q size=%d removed=%v\n", names, b, fi.Size(), os.IsNotExist(err))
	return nil
}

// serve echoes lines upper-cased on addr, for every connection.
func serve(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("listening on", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if line == "now?\n" { // the time read, as a lease holder's check would read it
					fmt.Fprintln(c, time.Now().UnixNano())
					continue
				}
				io.WriteString(c, strings.ToUpper(line))
			}
		}()
	}
}

func dial(addr string) error {
	var c net.Conn
	var err error
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var d net.Dialer
		c, err = d.DialContext(ctx, "tcp", addr)
		cancel()
		if err == nil {
			break
		}
		fmt.Println("dial failed:", err)
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i := range 3 {
		fmt.Fprintf(c, "ping %d\n", i)
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		fmt.Print("reply ", line)
	}
	return nil
}

// rtt sends n one-byte pings to an echo server over network and waits
// for each reply.
func rtt(network, addr string, n int) error {
	c, err := net.Dial(network, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	b := []byte{'x'}
	for range n {
		if _, err := c.Write(b); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, b); err != nil {
			return err
		}
	}
	return nil
}

// rttPair is "udpaddr,tcpaddr,n,rounds": n round trips of a byte over
// UDP to udpaddr and n over TCP to tcpaddr, in alternating rounds, each
// round's network printed on a line before it starts and "end" after
// the last, so that the host can tell what each costs it.
func rttPair(arg string) error {
	f := strings.Split(arg, ",")
	if len(f) != 4 {
		return fmt.Errorf("rttpair: want udpaddr,tcpaddr,n,rounds, not %q", arg)
	}
	n, _ := strconv.Atoi(f[2])
	rounds, _ := strconv.Atoi(f[3])
	u, err := net.Dial("udp", f[0])
	if err != nil {
		return err
	}
	defer u.Close()
	t, err := net.Dial("tcp", f[1])
	if err != nil {
		return err
	}
	defer t.Close()
	b := []byte{'x'}
	for r := range rounds {
		k := n / rounds
		if r < n%rounds {
			k++
		}
		for _, c := range []struct {
			name string
			conn net.Conn
		}{{"udp", u}, {"tcp", t}} {
			fmt.Println(c.name)
			for range k {
				if _, err := c.conn.Write(b); err != nil {
					return err
				}
				if _, err := io.ReadFull(c.conn, b); err != nil {
					return err
				}
			}
		}
	}
	fmt.Println("end")
	return nil
}

// echo serves byte echo on addr.
func echo(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go io.Copy(c, c)
	}
}

func httpServe(addr string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Query().Get("name"))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 3<<20)
		for i := range b {
			b[i] = byte(i * 7)
		}
		w.Write(b)
	})
	fmt.Println("http on", addr)
	return http.ListenAndServe(addr, mux)
}

func httpGet(url string) error {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if len(b) > 100 {
		fmt.Printf("http %d %d bytes sha256 %x\n", resp.StatusCode, len(b), sha256.Sum256(b))
		return nil
	}
	fmt.Printf("http %d %s\n", resp.StatusCode, b)
	return nil
}
