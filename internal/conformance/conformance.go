// Package conformance holds the contracts every set of providers keeps,
// written once and run against providers.Real() and against a simulation's
// providers, so that the two cannot drift apart: what code learns to
// expect in a simulation holds in production.
package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// Env is what a contract runs with.
type Env struct {
	P   providers.Providers // Time, Task, Network and Storage set
	Ctx context.Context
	// Listen is the address to listen on for a free port: "127.0.0.1:0"
	// in production, ":0" in a simulation.
	Listen string
	// ListenSmall listens on a free port with a small accept queue and
	// returns the listener and how many connections that queue keeps
	// waiting for Accept. Nil where no such listener can be made; the
	// contracts that need it then check nothing.
	ListenSmall func() (l net.Listener, kept int, err error)
	// Own is an address of this host, without a port, that is not
	// its loopback: the machine's IP address (or 127.0.0.2) in
	// production, the host's name in a simulation. Empty where there is
	// none; the contracts that need it then check nothing.
	Own string
}

// A Contract is one promise of the providers, checked by Run.
type Contract struct {
	Name string
	Run  func(t require.TestingT, e Env)
}

// Contracts returns every contract, in a fixed order.
func Contracts() []Contract {
	return []Contract{
		{"SleepLastsItsDuration", sleepLasts},
		{"SleepEndsWithContext", sleepEndsWithContext},
		{"DeadlineFires", deadlineFires},
		{"AfterFuncFiresAndStops", afterFunc},
		{"TaskJoinGivesError", taskJoin},
		{"JoinOfFinishedTaskIgnoresDoneContext", joinFinished},
		{"ReadyPrimitivesIgnoreDoneContext", readyIgnoresDone},
		{"ClosedChanPanics", closedChanPanics},
		{"SelectDoesNotMatchItself", selectNotItself},
		{"WaitGroupWaitsForTasksAddedWhileWaiting", waitGroupGrows},
		{"EchoRoundTrips", echo},
		{"ReadDeadlineTimesOut", readDeadline},
		{"PeerCloseIsEOF", peerClose},
		{"ClosedConnIsErrClosed", closedConn},
		{"EmptyWriteIsAWrite", emptyWrite},
		{"LingerZeroCloseResets", reset},
		{"ResetIsToldToTheFirstWrite", resetToWrite},
		{"ResetIsToldOnce", resetToldOnce},
		{"ShutdownOfAClosedConnIsENOTCONN", shutdownNotConnected},
		{"DialClosedPortRefused", refused},
		{"FullBacklogHoldsConnects", fullBacklog},
		{"ListenTakenPortInUse", addrInUse},
		{"ListenOnADialledPortInUse", dialledPortInUse},
		{"ListenOnADialledPortOfAnotherAddress", dialledPortElsewhere},
		{"ListenerOnAnAddressRefusesLoopback", boundRefusesLoopback},
		{"ListenersOnDifferentAddressesShareAPort", boundShare},
		{"ListenOnAMappedAddressIsOnTheIPv4One", mappedListen},
		{"ListenerOnEveryAddressSharesNoPort", wildcardShares},
		{"DatagramSocketsOnDifferentAddressesShareAPort", datagramBoundShare},
		{"DatagramRoundTrips", datagram},
		{"DatagramOverLimitIsEMSGSIZE", datagramTooLarge},
		{"DatagramReadDeadlineTimesOut", datagramDeadline},
		{"SyncedWriteReadsBack", syncedWrite},
		{"NotFoundAndExists", notFoundExists},
		{"FileNameIsTheNameGiven", fileName},
		{"TrailingSlashOnAFileIsCleaned", trailingSlash},
		{"NegativeOffsetIsOSError", negativeOffset},
		{"WriteAtInAppendModeIsOSError", appendWriteAt},
		{"RenameOutsideTheRootIsALinkError", renameOutside},
		{"StorageErrorsNameOSRootsOps", storageOps},
	}
}

func sleepLasts(t require.TestingT, e Env) {
	start := e.P.Time.Now()
	require.NoError(t, e.P.Time.Sleep(e.Ctx, 20*time.Millisecond))
	require.GreaterOrEqual(t, e.P.Time.Now().Sub(start), 20*time.Millisecond, "a sleep lasts at least its duration")
}

func sleepEndsWithContext(t require.TestingT, e Env) {
	ctx, cancel := context.WithCancel(e.Ctx)
	cancel()
	require.ErrorIs(t, e.P.Time.Sleep(ctx, time.Hour), context.Canceled)
}

func deadlineFires(t require.TestingT, e Env) {
	start := e.P.Time.Now()
	at := start.Add(10 * time.Millisecond)
	ctx, cancel := e.P.Time.WithDeadline(e.Ctx, at)
	defer cancel()
	d, ok := ctx.Deadline()
	require.True(t, ok)
	require.True(t, d.Equal(at), "the context's deadline is the one asked for")
	require.ErrorIs(t, providers.Wait(ctx, e.P.Task), context.DeadlineExceeded)
	require.False(t, e.P.Time.Now().Before(at), "a deadline fires at or after its time on the provider's clock")
	ctx, cancel = e.P.Time.WithTimeout(e.Ctx, time.Hour)
	defer cancel()
	d, _ = ctx.Deadline()
	require.False(t, d.Before(at.Add(time.Hour-10*time.Millisecond)), "WithTimeout counts from the provider's Now")
}

func afterFunc(t require.TestingT, e Env) {
	fired := providers.NewChan[struct{}](e.P.Task, 1)
	e.P.Time.AfterFunc(5*time.Millisecond, func() { fired.TrySend(struct{}{}) })
	_, _, err := fired.Recv(e.Ctx)
	require.NoError(t, err)
	never := e.P.Time.AfterFunc(time.Hour, func() { fired.TrySend(struct{}{}) })
	require.True(t, never.Stop(), "a pending timer stops")
	require.False(t, never.Stop(), "a stopped timer is not pending")
}

func taskJoin(t require.TestingT, e Env) {
	boom := errors.New("boom")
	h := e.P.Task.Go(e.Ctx, "failing", func(context.Context) error { return boom })
	require.ErrorIs(t, h.Join(e.Ctx), boom)
	h = e.P.Task.Go(e.Ctx, "waiting", func(ctx context.Context) error { return providers.Wait(ctx, e.P.Task) })
	h.Cancel()
	require.ErrorIs(t, h.Join(e.Ctx), context.Canceled, "Cancel cancels the task's context")
}

// joinFinished: a task that has returned gives its error to every Join,
// even one whose context is already done.
func joinFinished(t require.TestingT, e Env) {
	boom := errors.New("boom")
	h := e.P.Task.Go(e.Ctx, "failing", func(context.Context) error { return boom })
	require.ErrorIs(t, h.Join(e.Ctx), boom)
	done, cancel := context.WithCancel(e.Ctx)
	cancel()
	for range 100 {
		require.ErrorIs(t, h.Join(done), boom, "Join of a finished task with a done context")
	}
	h.Cancel()
	require.ErrorIs(t, h.Join(e.Ctx), boom, "Cancel after the end changes nothing")
}

// readyIgnoresDone: an operation of a primitive that can proceed at once
// does so even when its context is already done. It is checked many times,
// since a select that weighed the two would pick either at random.
func readyIgnoresDone(t require.TestingT, e Env) {
	done, cancel := context.WithCancel(e.Ctx)
	cancel()
	c := providers.NewChan[int](e.P.Task, 1)
	closed := providers.NewChan[int](e.P.Task, 0)
	closed.Close()
	m := providers.NewMutex(e.P.Task)
	wg := providers.NewWaitGroup(e.P.Task)
	for i := range 50 {
		require.NoError(t, c.Send(done, i), "Send with buffer space")
		v, ok, err := c.Recv(done)
		require.NoError(t, err, "Recv of a buffered value")
		require.True(t, ok)
		require.Equal(t, i, v)
		_, ok, err = closed.Recv(done)
		require.NoError(t, err, "Recv of a closed Chan")
		require.False(t, ok)
		took := false
		require.NoError(t, providers.Select(done, providers.OnRecv(closed, func(int, bool) { took = true })))
		require.True(t, took, "Select with a ready case")
		require.NoError(t, m.Lock(done), "Lock of an unlocked Mutex")
		m.Unlock()
		require.NoError(t, wg.Wait(done), "Wait on a zero counter")
	}
}

// closedChanPanics: sending on a closed Chan, and closing it again, panic
// with the same values in every mode.
func closedChanPanics(t require.TestingT, e Env) {
	c := providers.NewChan[int](e.P.Task, 1)
	c.Close()
	const sendClosed, closeClosed = "providers: send on closed Chan", "providers: close of closed Chan"
	require.Equal(t, sendClosed, recovered(func() { _ = c.Send(e.Ctx, 1) }))
	require.Equal(t, sendClosed, recovered(func() { c.TrySend(1) }))
	require.Equal(t, sendClosed, recovered(func() { _ = providers.Select(e.Ctx, providers.OnSend(c, 1, nil)) }))
	require.Equal(t, closeClosed, recovered(c.Close))
	_, ok, ready := c.TryRecv()
	require.True(t, ready, "a closed Chan is always ready to receive")
	require.False(t, ok)
}

// selectNotItself: a Select that sends and receives on the same unbuffered
// Chan does not hand its value to itself, as a select statement does not.
func selectNotItself(t require.TestingT, e Env) {
	c := providers.NewChan[int](e.P.Task, 0)
	ctx, cancel := e.P.Time.WithTimeout(e.Ctx, 10*time.Millisecond)
	defer cancel()
	err := providers.Select(ctx, providers.OnSend(c, 1, nil), providers.OnRecv(c, nil))
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// waitGroupGrows: a WaitGroup's Wait also waits for tasks started with Go
// while it waits, by tasks it counts.
func waitGroupGrows(t require.TestingT, e Env) {
	wg := providers.NewWaitGroup(e.P.Task)
	second := providers.NewChan[bool](e.P.Task, 1)
	wg.Go(e.Ctx, "first", func(ctx context.Context) error {
		if err := e.P.Time.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		// With e.Ctx: ctx, the first task's, ends when it returns.
		wg.Go(e.Ctx, "second", func(ctx context.Context) error {
			if err := e.P.Time.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
			second.TrySend(true)
			return nil
		})
		return nil
	})
	require.NoError(t, wg.Wait(e.Ctx))
	_, _, ready := second.TryRecv()
	require.True(t, ready, "Wait returned before the task started while it waited")
}

// recovered calls f and returns what it panicked with, or nil.
func recovered(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

// pair returns both ends of a connection.
func pair(t require.TestingT, e Env) (client, server net.Conn) {
	l, err := e.P.Network.Listen(e.Ctx, e.Listen)
	require.NoError(t, err)
	defer l.Close()
	accepted := providers.NewChan[net.Conn](e.P.Task, 1)
	e.P.Task.Go(e.Ctx, "accept", func(ctx context.Context) error {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		return accepted.Send(ctx, c)
	})
	client, err = e.P.Network.Dial(e.Ctx, l.Addr().String())
	require.NoError(t, err)
	server, _, err = accepted.Recv(e.Ctx)
	require.NoError(t, err)
	return client, server
}

func echo(t require.TestingT, e Env) {
	c, srv := pair(t, e)
	defer c.Close()
	e.P.Task.Go(e.Ctx, "echo", func(context.Context) error {
		defer srv.Close()
		_, err := io.Copy(srv, srv)
		return err
	})
	msg := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range msg {
		msg[i] = byte(r.Uint32())
	}
	e.P.Task.Go(e.Ctx, "send", func(context.Context) error {
		_, err := c.Write(msg)
		return err
	})
	got := make([]byte, len(msg))
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	require.True(t, bytes.Equal(msg, got), "an echo round-trips byte for byte")
}

func readDeadline(t require.TestingT, e Env) {
	c, srv := pair(t, e)
	defer c.Close()
	defer srv.Close()
	require.NoError(t, c.SetReadDeadline(e.P.Time.Now().Add(10*time.Millisecond)))
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout())
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	require.Equal(t, "read", op.Op)
}

func peerClose(t require.TestingT, e Env) {
	c, srv := pair(t, e)
	defer c.Close()
	_, err := srv.Write([]byte("bye"))
	require.NoError(t, err)
	require.NoError(t, srv.Close())
	b, err := io.ReadAll(c)
	require.NoError(t, err, "the peer's close reads as io.EOF after its bytes")
	require.Equal(t, "bye", string(b))
}

func closedConn(t require.TestingT, e Env) {
	c, srv := pair(t, e)
	defer srv.Close()
	require.NoError(t, c.Close())
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = c.Write([]byte("x"))
	require.ErrorIs(t, err, net.ErrClosed)
}

// emptyWrite: a Write of no bytes reports what a Write of some would, but
// for the bytes: nothing on a healthy connection, a passed deadline, a
// shut-down or reset connection. (A Read of no bytes returns at once, as
// package net's does: it has nothing to wait for.)
func emptyWrite(t require.TestingT, e Env) {
	c, srv := pair(t, e)
	defer c.Close()
	defer srv.Close()
	k, err := c.Write(nil)
	require.NoError(t, err, "an empty Write on a healthy connection")
	require.Zero(t, k)
	require.NoError(t, c.SetWriteDeadline(e.P.Time.Now().Add(-time.Second)))
	_, err = c.Write(nil)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "an empty Write after its deadline")
	k, err = c.Read(nil)
	require.NoError(t, err, "an empty Read returns at once")
	require.Zero(t, k)
	require.NoError(t, c.SetWriteDeadline(time.Time{}))
	cw, ok := c.(interface{ CloseWrite() error })
	require.True(t, ok, "a connection has CloseWrite, as *net.TCPConn does")
	require.NoError(t, cw.CloseWrite())
	_, err = c.Write(nil)
	require.ErrorIs(t, err, syscall.EPIPE, "an empty Write after CloseWrite")
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	require.Equal(t, "write", op.Op)
}

func reset(t require.TestingT, e Env) {
	c := resetByPeer(t, e)
	defer c.Close()
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(t, err, syscall.ECONNRESET, "a close with linger 0 resets the peer")
}

// resetByPeer returns the client end of a connection whose server end
// closed with linger 0, which resets it.
func resetByPeer(t require.TestingT, e Env) net.Conn {
	c, srv := pair(t, e)
	l, ok := srv.(interface{ SetLinger(int) error })
	require.True(t, ok, "a connection has SetLinger, as *net.TCPConn does")
	require.NoError(t, l.SetLinger(0))
	require.NoError(t, srv.Close())
	return c
}

// resetToldToWrite returns the client end of a connection reset by its
// peer (resetByPeer) after its first Write was told the reset, with
// ECONNRESET.
func resetToldToWrite(t require.TestingT, e Env) net.Conn {
	c := resetByPeer(t, e)
	// The reset arrives after a latency in a simulation.
	require.NoError(t, e.P.Time.Sleep(e.Ctx, 20*time.Millisecond))
	_, err := c.Write([]byte("x"))
	require.ErrorIs(t, err, syscall.ECONNRESET, "the first Write after a reset")
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	require.Equal(t, "write", op.Op)
	return c
}

// resetToWrite: a reset from a peer that had not closed is told, as
// ECONNRESET, to the first Write after it arrives; later Writes fail with
// EPIPE, as on a connection shut down for writing.
func resetToWrite(t require.TestingT, e Env) {
	c := resetByPeer(t, e)
	defer c.Close()
	// The reset arrives after a latency in a simulation: wait for a
	// Read to see it, then read no more, and write.
	require.NoError(t, c.SetReadDeadline(e.P.Time.Now().Add(time.Second)))
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(t, err, syscall.ECONNRESET)
	_, err = c.Write([]byte("x"))
	require.ErrorIs(t, err, syscall.EPIPE, "a Write after a Read told the reset")

	c2 := resetToldToWrite(t, e)
	defer c2.Close()
	_, err = c2.Write([]byte("x"))
	require.ErrorIs(t, err, syscall.EPIPE, "the second Write after a reset")
}

// resetToldOnce: a reset is told to the first Read or Write after it
// arrives, with ECONNRESET; later Reads return io.EOF, as on Linux.
// Other systems word it otherwise, so elsewhere only the first Read is
// checked.
func resetToldOnce(t require.TestingT, e Env) {
	c := resetByPeer(t, e)
	defer c.Close()
	require.NoError(t, c.SetReadDeadline(e.P.Time.Now().Add(time.Second)))
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(t, err, syscall.ECONNRESET)
	if runtime.GOOS != "linux" {
		return
	}
	for range 2 {
		k, err := c.Read(make([]byte, 1))
		require.Zero(t, k)
		require.Equal(t, io.EOF, err, "a Read after the one that told the reset")
	}

	c2 := resetToldToWrite(t, e)
	defer c2.Close()
	k, err := c2.Read(make([]byte, 1))
	require.Zero(t, k)
	require.Equal(t, io.EOF, err, "a Read after the Write that told the reset")
}

// shutdownNotConnected: CloseWrite and CloseRead of a connection that
// the kernel has closed (a reset arrived, or a FIN went each way) fail
// with ENOTCONN, as shutdown(2) does on Linux, and a reset not yet told
// is still told to the Read after them. Other systems word it otherwise,
// so elsewhere nothing is checked.
func shutdownNotConnected(t require.TestingT, e Env) {
	if runtime.GOOS != "linux" {
		return
	}
	requireNotConn := func(err error, what string) {
		require.ErrorIs(t, err, syscall.ENOTCONN, what)
		var op *net.OpError
		require.ErrorAs(t, err, &op)
		require.Equal(t, "close", op.Op)
		var se *os.SyscallError
		require.ErrorAs(t, err, &se)
		require.Equal(t, "shutdown", se.Syscall)
	}
	c := resetByPeer(t, e)
	defer c.Close()
	// The reset arrives after a latency in a simulation.
	require.NoError(t, e.P.Time.Sleep(e.Ctx, 20*time.Millisecond))
	requireNotConn(c.(closeWriter).CloseWrite(), "CloseWrite after a reset arrived")
	requireNotConn(c.(closeReader).CloseRead(), "CloseRead after a reset arrived")
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(t, err, syscall.ECONNRESET, "the reset is still told")
	requireNotConn(c.(closeWriter).CloseWrite(), "CloseWrite after the reset was told")

	c2, srv := pair(t, e)
	defer c2.Close()
	require.NoError(t, c2.(closeWriter).CloseWrite())
	require.NoError(t, c2.(closeWriter).CloseWrite(), "a second CloseWrite while the peer is open")
	require.NoError(t, srv.Close())
	require.NoError(t, e.P.Time.Sleep(e.Ctx, 20*time.Millisecond))
	requireNotConn(c2.(closeWriter).CloseWrite(), "CloseWrite after a FIN went each way")
	requireNotConn(c2.(closeReader).CloseRead(), "CloseRead after a FIN went each way")
}

type closeWriter interface{ CloseWrite() error }

type closeReader interface{ CloseRead() error }

func refused(t require.TestingT, e Env) {
	l, err := e.P.Network.Listen(e.Ctx, e.Listen)
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	_, err = e.P.Network.Dial(e.Ctx, addr)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	require.Equal(t, "dial", op.Op)
}

// fullBacklog: a connect that finds the accept queue full is not refused
// but waits, as Linux drops its SYN and the dialler retransmits: a dial
// with a deadline times out, and a dial still waiting when Accept makes
// room connects.
func fullBacklog(t require.TestingT, e Env) {
	if e.ListenSmall == nil {
		return
	}
	l, kept, err := e.ListenSmall()
	require.NoError(t, err)
	defer l.Close()
	addr := l.Addr().String()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range kept {
		c, err := e.P.Network.Dial(e.Ctx, addr)
		require.NoError(t, err, "the queue keeps this many")
		conns = append(conns, c)
	}

	ctx, cancel := e.P.Time.WithTimeout(e.Ctx, 100*time.Millisecond)
	_, err = e.P.Network.Dial(ctx, addr)
	cancel()
	require.Error(t, err, "a connect that finds the queue full waits")
	require.NotErrorIs(t, err, syscall.ECONNREFUSED, "a full queue refuses nothing")
	// Package net gives the context's deadline or the socket's, whichever
	// it sees first: both are timeouts.
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout(), "%v is a timeout", err)

	dialled := providers.NewChan[net.Conn](e.P.Task, 1)
	h := e.P.Task.Go(e.Ctx, "dial", func(ctx context.Context) error {
		ctx, cancel := e.P.Time.WithTimeout(ctx, time.Minute)
		defer cancel()
		c, err := e.P.Network.Dial(ctx, addr)
		if err == nil {
			dialled.TrySend(c)
		}
		return err
	})
	require.NoError(t, e.P.Time.Sleep(e.Ctx, 100*time.Millisecond))
	s, err := l.Accept()
	require.NoError(t, err)
	conns = append(conns, s)
	require.NoError(t, h.Join(e.Ctx), "the waiting connect goes through once Accept makes room")
	c, _, err := dialled.Recv(e.Ctx)
	require.NoError(t, err)
	conns = append(conns, c)
}

// packetPair returns two datagram sockets.
func packetPair(t require.TestingT, e Env) (a, b net.PacketConn) {
	a, err := e.P.Network.ListenPacket(e.Ctx, e.Listen)
	require.NoError(t, err)
	b, err = e.P.Network.ListenPacket(e.Ctx, e.Listen)
	require.NoError(t, err)
	return a, b
}

func datagram(t require.TestingT, e Env) {
	a, b := packetPair(t, e)
	defer a.Close()
	defer b.Close()
	k, err := a.WriteTo([]byte("ping"), b.LocalAddr())
	require.NoError(t, err)
	require.Equal(t, 4, k)
	buf := make([]byte, 64)
	k, from, err := b.ReadFrom(buf)
	require.NoError(t, err)
	require.Equal(t, "ping", string(buf[:k]))
	require.Equal(t, a.LocalAddr().String(), from.String(), "ReadFrom tells the sender")
	_, err = b.WriteTo([]byte("pong"), from)
	require.NoError(t, err)
	k, _, err = a.ReadFrom(buf[:2])
	require.NoError(t, err)
	require.Equal(t, "po", string(buf[:k]), "a short buffer cuts the datagram")
}

func datagramTooLarge(t require.TestingT, e Env) {
	a, b := packetPair(t, e)
	defer a.Close()
	defer b.Close()
	_, err := a.WriteTo(make([]byte, 70000), b.LocalAddr())
	require.ErrorIs(t, err, syscall.EMSGSIZE, "a datagram over the limit is refused")
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	require.Equal(t, "write", op.Op)
}

func datagramDeadline(t require.TestingT, e Env) {
	a, err := e.P.Network.ListenPacket(e.Ctx, e.Listen)
	require.NoError(t, err)
	defer a.Close()
	require.NoError(t, a.SetReadDeadline(e.P.Time.Now().Add(10*time.Millisecond)))
	_, _, err = a.ReadFrom(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout())
}

func addrInUse(t require.TestingT, e Env) {
	l, err := e.P.Network.Listen(e.Ctx, e.Listen)
	require.NoError(t, err)
	defer l.Close()
	_, err = e.P.Network.Listen(e.Ctx, l.Addr().String())
	require.ErrorIs(t, err, syscall.EADDRINUSE)
}

// portOf returns the port of addr, a socket's address.
func portOf(t require.TestingT, addr net.Addr) string {
	_, port, err := net.SplitHostPort(addr.String())
	require.NoError(t, err)
	return port
}

// dialledPortInUse: a listen on the port that a dialled connection holds
// fails, as bind does: the connection's socket does not share its port.
func dialledPortInUse(t require.TestingT, e Env) {
	c, srv := pair(t, e)
	defer c.Close()
	defer srv.Close()
	port := portOf(t, c.LocalAddr())
	host, _, err := net.SplitHostPort(e.Listen)
	require.NoError(t, err)
	_, err = e.P.Network.Listen(e.Ctx, net.JoinHostPort(host, port))
	require.ErrorIs(t, err, syscall.EADDRINUSE)
}

// dialledPortElsewhere: a dialled connection holds its port on the
// address it was dialled from alone: a listen there, or on every address,
// fails with EADDRINUSE, and one on another address of the host has the
// port.
func dialledPortElsewhere(t require.TestingT, e Env) {
	if e.Own == "" {
		return
	}
	// On a real machine another socket may hold the port at the other
	// address already (a connection of another program's, or one of an
	// earlier test's left in TIME_WAIT), which says nothing of the
	// contract: a new connection, with a port of its own, tries again.
	const tries = 5
	for try := 1; ; try++ {
		err := listenBesideADialledPort(t, e)
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) || try == tries {
			require.NoError(t, err, "%d tries", try)
		}
	}
}

// listenBesideADialledPort dials, checks that the connection's port is
// taken on its address and on every address, and returns the error of
// a listen on the same port at another address.
func listenBesideADialledPort(t require.TestingT, e Env) error {
	c, srv := pair(t, e)
	defer c.Close()
	defer srv.Close()
	host, port, err := net.SplitHostPort(c.LocalAddr().String())
	require.NoError(t, err)
	other := e.Own
	if host == e.Own {
		other = "127.0.0.1"
	}
	for _, h := range []string{host, ""} {
		_, err = e.P.Network.Listen(e.Ctx, net.JoinHostPort(h, port))
		require.ErrorIs(t, err, syscall.EADDRINUSE, "a listen on %q beside a connection from %s", h, c.LocalAddr())
	}
	l, err := e.P.Network.Listen(e.Ctx, net.JoinHostPort(other, port))
	if err != nil {
		return fmt.Errorf("a listen on %s beside a connection from %s: %w", other, c.LocalAddr(), err)
	}
	return l.Close()
}

func syncedWrite(t require.TestingT, e Env) {
	st := e.P.Storage
	f, err := st.Create("data")
	require.NoError(t, err)
	_, err = f.Write([]byte("hello, disk"))
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	f, err = st.Open("data")
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	require.Equal(t, "hello, disk", string(b), "a synced write reads back")
	_, err = f.Write([]byte("x"))
	require.Error(t, err, "a file opened with Open is read-only")
}

func notFoundExists(t require.TestingT, e Env) {
	st := e.P.Storage
	_, err := st.Open("missing")
	require.ErrorIs(t, err, fs.ErrNotExist)
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	_, err = st.Stat("missing")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, st.Remove("missing"), fs.ErrNotExist)
	require.NoError(t, st.Mkdir("d", 0o755))
	require.ErrorIs(t, st.Mkdir("d", 0o755), fs.ErrExist)
	f, err := st.OpenFile("only", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = st.OpenFile("only", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	require.ErrorIs(t, err, fs.ErrExist)
	_, err = st.Open("../escape")
	require.ErrorIs(t, err, providers.ErrOutsideRoot)
	f, err = st.Open("only")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = f.Read(make([]byte, 1))
	require.ErrorIs(t, err, fs.ErrClosed)
}

// boundRefusesLoopback: a listener bound to an address of its host takes
// connects to that address, and not those to 127.0.0.1, as Linux refuses
// them: a service that dials itself on localhost while it listens on its
// public address fails.
func boundRefusesLoopback(t require.TestingT, e Env) {
	if e.Own == "" {
		return
	}
	l, err := e.P.Network.Listen(e.Ctx, net.JoinHostPort(e.Own, "0"))
	require.NoError(t, err)
	defer l.Close()
	port := portOf(t, l.Addr())
	_, err = e.P.Network.Dial(e.Ctx, net.JoinHostPort("127.0.0.1", port))
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	require.Equal(t, "dial", op.Op)
	c, err := e.P.Network.Dial(e.Ctx, net.JoinHostPort(e.Own, port))
	require.NoError(t, err, "a connect to the address it is bound to")
	defer c.Close()
	s, err := l.Accept()
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

// boundShare: listeners on two addresses of a host share a port, each
// taking the connects to its own address, and a listener on every
// address cannot join them (EADDRINUSE).
func boundShare(t require.TestingT, e Env) {
	if e.Own == "" {
		return
	}
	own, err := e.P.Network.Listen(e.Ctx, net.JoinHostPort(e.Own, "0"))
	require.NoError(t, err)
	defer own.Close()
	port := portOf(t, own.Addr())
	lo, err := e.P.Network.Listen(e.Ctx, net.JoinHostPort("127.0.0.1", port))
	require.NoError(t, err, "127.0.0.1 beside another address")
	defer lo.Close()
	for _, host := range []string{"", e.Own, "127.0.0.1"} {
		_, err = e.P.Network.Listen(e.Ctx, net.JoinHostPort(host, port))
		require.ErrorIs(t, err, syscall.EADDRINUSE, "a listen on %q", host)
	}
	for _, x := range []struct {
		host string
		l    net.Listener
	}{{"127.0.0.1", lo}, {e.Own, own}} {
		c, err := e.P.Network.Dial(e.Ctx, net.JoinHostPort(x.host, port))
		require.NoError(t, err)
		s, err := x.l.Accept()
		require.NoError(t, err, "the listener on %s takes the connect to it", x.host)
		require.Equal(t, c.RemoteAddr().String(), s.LocalAddr().String())
		require.NoError(t, c.Close())
		require.NoError(t, s.Close())
	}
}

// mappedListen: a socket bound to an IPv4 address of its host mapped
// into IPv6 ([::ffff:192.0.2.2]) is on the IPv4 address: its address is
// that one, and it takes the connects sent there, written either way.
func mappedListen(t require.TestingT, e Env) {
	own := net.ParseIP(e.Own)
	if own == nil || own.To4() == nil {
		return
	}
	mapped := "::ffff:" + e.Own
	l, err := e.P.Network.Listen(e.Ctx, net.JoinHostPort(mapped, "0"))
	require.NoError(t, err)
	defer l.Close()
	host, port, err := net.SplitHostPort(l.Addr().String())
	require.NoError(t, err)
	require.Equal(t, e.Own, host, "the listener's address is the IPv4 one")
	_, err = e.P.Network.Listen(e.Ctx, net.JoinHostPort(e.Own, port))
	require.ErrorIs(t, err, syscall.EADDRINUSE, "the IPv4 address's port is the listener's")
	for _, h := range []string{e.Own, mapped} {
		c, err := e.P.Network.Dial(e.Ctx, net.JoinHostPort(h, port))
		require.NoError(t, err, "a dial to %s", h)
		require.Equal(t, l.Addr().String(), c.RemoteAddr().String(), "a dial to %s", h)
		s, err := l.Accept()
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.NoError(t, c.Close())
	}

	pc, err := e.P.Network.ListenPacket(e.Ctx, net.JoinHostPort(mapped, "0"))
	require.NoError(t, err)
	defer pc.Close()
	host, _, err = net.SplitHostPort(pc.LocalAddr().String())
	require.NoError(t, err)
	require.Equal(t, e.Own, host, "the datagram socket's address is the IPv4 one")
}

// wildcardShares: a listener on every address holds its port on each:
// a listener on one of them cannot join it (EADDRINUSE).
func wildcardShares(t require.TestingT, e Env) {
	if e.Own == "" {
		return
	}
	l, err := e.P.Network.Listen(e.Ctx, ":0")
	require.NoError(t, err)
	defer l.Close()
	port := portOf(t, l.Addr())
	for _, host := range []string{"127.0.0.1", e.Own} {
		_, err = e.P.Network.Listen(e.Ctx, net.JoinHostPort(host, port))
		require.ErrorIs(t, err, syscall.EADDRINUSE, "a listen on %s", host)
	}
}

// datagramBoundShare: a datagram socket bound to an address of its host
// does not hear what is sent to 127.0.0.1 (it is dropped); a socket on
// 127.0.0.1 shares its port and hears that, and a socket on every address
// cannot join them (EADDRINUSE).
func datagramBoundShare(t require.TestingT, e Env) {
	if e.Own == "" {
		return
	}
	own, err := e.P.Network.ListenPacket(e.Ctx, net.JoinHostPort(e.Own, "0"))
	require.NoError(t, err)
	defer own.Close()
	port := portOf(t, own.LocalAddr())
	from, err := e.P.Network.ListenPacket(e.Ctx, e.Listen)
	require.NoError(t, err)
	defer from.Close()
	send := func(host, msg string) {
		to, err := net.ResolveUDPAddr("udp", net.JoinHostPort(host, port))
		require.NoError(t, err)
		_, err = from.WriteTo([]byte(msg), to)
		require.NoError(t, err)
	}
	buf := make([]byte, 16)
	read := func(c net.PacketConn) string {
		require.NoError(t, c.SetReadDeadline(e.P.Time.Now().Add(time.Second)))
		k, _, err := c.ReadFrom(buf)
		require.NoError(t, err)
		return string(buf[:k])
	}
	send("127.0.0.1", "lost")
	send(e.Own, "to own")
	require.Equal(t, "to own", read(own), "the datagram to 127.0.0.1 is not its")

	lo, err := e.P.Network.ListenPacket(e.Ctx, net.JoinHostPort("127.0.0.1", port))
	require.NoError(t, err, "127.0.0.1 beside another address")
	defer lo.Close()
	for _, host := range []string{"", e.Own, "127.0.0.1"} {
		_, err = e.P.Network.ListenPacket(e.Ctx, net.JoinHostPort(host, port))
		require.ErrorIs(t, err, syscall.EADDRINUSE, "a bind to %q", host)
	}
	send("127.0.0.1", "to lo")
	send(e.Own, "to own")
	require.Equal(t, "to lo", read(lo))
	require.Equal(t, "to own", read(own))
}

// fileName: a file's Name is the name given to open it, uncleaned, as
// *os.File's is, and not a path of the machine: renaming a temporary file
// by its Name works in production as in a simulation.
func fileName(t require.TestingT, e Env) {
	st := e.P.Storage
	require.NoError(t, st.Mkdir("d", 0o755))
	for _, name := range []string{"snap.tmp", "d//x", "./d/../y", "d/z/"} {
		f, err := st.Create(name)
		require.NoError(t, err, name)
		require.Equal(t, name, f.Name(), "a file's Name is the name it was opened with")
		require.NoError(t, f.Close())
		require.Equal(t, name, f.Name(), "a closed file keeps its Name")
	}
	f, err := st.OpenFile("snap.tmp", os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, st.Rename(f.Name(), "snap"), "a file renamed by its Name")
	_, err = st.Stat("snap")
	require.NoError(t, err)
	d, err := st.Open(".")
	require.NoError(t, err)
	require.Equal(t, ".", d.Name(), "the root opened as . is named .")
	require.NoError(t, d.Close())
}

// trailingSlash: names are cleaned before use, so a trailing slash on a
// file's name is no error, where Linux's open(2) says ENOTDIR.
func trailingSlash(t require.TestingT, e Env) {
	st := e.P.Storage
	f, err := st.Create("file")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	f, err = st.Open("file/")
	require.NoError(t, err, "a file opened with a trailing slash")
	require.NoError(t, f.Close())
	_, err = st.Stat("file/")
	require.NoError(t, err)
}

// negativeOffset: ReadAt and WriteAt at a negative offset fail as
// *os.File fails them, with an *fs.PathError whose reason is "negative
// offset" and matches neither fs.ErrInvalid nor syscall.EINVAL.
func negativeOffset(t require.TestingT, e Env) {
	f, err := e.P.Storage.Create("f")
	require.NoError(t, err)
	defer f.Close()
	_, rerr := f.ReadAt(make([]byte, 1), -1)
	_, werr := f.WriteAt([]byte("x"), -1)
	for op, err := range map[string]error{"readat": rerr, "writeat": werr} {
		var pe *fs.PathError
		require.ErrorAs(t, err, &pe, op)
		require.Equal(t, op, pe.Op)
		require.EqualError(t, pe.Err, "negative offset", op)
		require.NotErrorIs(t, err, fs.ErrInvalid, op)
		require.NotErrorIs(t, err, syscall.EINVAL, op)
	}
}

// appendWriteAt: WriteAt on a file opened with O_APPEND fails as
// *os.File fails it, with package os's bare error, not an *fs.PathError,
// whatever the offset.
func appendWriteAt(t require.TestingT, e Env) {
	f, err := e.P.Storage.OpenFile("log", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	require.NoError(t, err)
	defer f.Close()
	for _, off := range []int64{0, -1} {
		_, err = f.WriteAt([]byte("x"), off)
		require.EqualError(t, err, "os: invalid use of WriteAt on file opened with O_APPEND")
		var pe *fs.PathError
		require.False(t, errors.As(err, &pe), "not an *fs.PathError")
		require.NotErrorIs(t, err, fs.ErrInvalid)
	}
}

// renameOutside: a rename refused for a name outside the root is an
// *os.LinkError, as os.Root's Rename gives it, naming both names.
func renameOutside(t require.TestingT, e Env) {
	st := e.P.Storage
	f, err := st.Create("x")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	for _, names := range [][2]string{{"x", "../y"}, {"/x", "y"}, {"x", ""}} {
		err := st.Rename(names[0], names[1])
		var le *os.LinkError
		require.ErrorAs(t, err, &le, "%q to %q", names[0], names[1])
		require.Equal(t, names[0], le.Old)
		require.Equal(t, names[1], le.New)
	}
	require.ErrorIs(t, st.Rename("x", "../y"), providers.ErrOutsideRoot)
	require.ErrorIs(t, st.Rename("x", ""), fs.ErrNotExist)
}

// storageOps: a Storage's errors name the operation as os.Root's do on
// Linux (openat, statat, mkdirat, removeat, renameat, readdirent) and the
// path as given, so that code that logs them or switches on Op sees the
// same in a simulation as in production. ReadDir opens the directory
// first, as os.Root's does.
func storageOps(t require.TestingT, e Env) {
	st := e.P.Storage
	require.NoError(t, st.Mkdir("d", 0o755))
	f, err := st.Create("f")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, openErr := st.Open("missing")
	_, statErr := st.Stat("d/missing")
	_, listErr := st.ReadDir("missing")
	for _, c := range []struct {
		err      error
		op, path string
	}{
		{openErr, "openat", "missing"},
		{statErr, "statat", "d/missing"},
		{st.Mkdir("d", 0o755), "mkdirat", "d"},
		{st.MkdirAll("f/x", 0o755), "openat", "f"},
		{st.MkdirAll("f", 0o755), "mkdirat", "f"},
		{st.Remove("d/missing"), "removeat", "d/missing"},
		{listErr, "openat", "missing"},
	} {
		var pe *fs.PathError
		require.ErrorAs(t, c.err, &pe, c.op+" "+c.path)
		require.Equal(t, c.op, pe.Op)
		require.Equal(t, c.path, pe.Path)
	}
	_, err = st.ReadDir("f")
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "readdirent", pe.Op, "listing a file")
	err = st.Rename("missing", "y")
	var le *os.LinkError
	require.ErrorAs(t, err, &le)
	require.Equal(t, "renameat", le.Op)
	require.EqualError(t, err, "renameat missing y: no such file or directory")
}
