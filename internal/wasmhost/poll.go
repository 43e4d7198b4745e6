package wasmhost

import (
	"context"
	"math"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// WASI event types and sizes.
const (
	eventClock   = 0
	eventFdRead  = 1
	eventFdWrite = 2
	subSize      = 48
	eventSize    = 32
)

type subscription struct {
	userdata uint64
	typ      byte
	fd       uint32
	timeout  time.Duration // a clock's, from now
}

// pollOneoff waits for the first of its subscriptions: a clock sleeps on
// the simulated clock; a socket waits until its buffers change (the
// socket's tasks wake it); files and standard streams are always ready.
// When the process is asked to stop, the wait ends early with no event,
// and the stop is delivered as a signal.
func pollOneoff(in *instance, mem api.Memory, st []uint64) errno {
	inPtr, outPtr, nsubs, nPtr := u32(st, 0), u32(st, 1), u32(st, 2), u32(st, 3)
	if nsubs == 0 {
		return errINVAL
	}
	if cap(in.subs) < int(nsubs) {
		in.subs = make([]subscription, nsubs)
	}
	subs := in.subs[:nsubs]
	clock := -1
	start := in.kernelNow()
	for i := range subs {
		b, ok := mem.Read(inPtr+uint32(i)*subSize, subSize)
		if !ok {
			return errFAULT
		}
		s := &subs[i]
		s.userdata = le64(b[0:])
		s.typ = b[8]
		switch s.typ {
		case eventClock:
			id, timeout, flags := le32(b[16:]), le64(b[24:]), le16(b[40:])
			// WASI's nanoseconds are unsigned: a timeout past int64,
			// such as 2^64-1 for the longest wait, is the farthest.
			ns := int64(min(timeout, math.MaxInt64))
			s.timeout = time.Duration(ns)
			if flags&1 != 0 { // absolute
				if id == 0 {
					s.timeout = time.Unix(0, ns).Sub(start)
				} else {
					s.timeout = time.Duration(ns - in.mono(start))
				}
			}
			if clock < 0 || s.timeout < subs[clock].timeout {
				clock = i
			}
		case eventFdRead, eventFdWrite:
			s.fd = le32(b[16:])
		default:
			return errINVAL
		}
	}
	var deadline int64 // on the monotonic clock the program reads
	if clock >= 0 {
		now, d := in.mono(start), subs[clock].timeout
		deadline = now + int64(d)
		if d > 0 && deadline < now {
			deadline = math.MaxInt64
		}
	}
	for {
		n := uint32(0)
		for i := range subs {
			s := &subs[i]
			if s.typ == eventClock {
				continue
			}
			ready, en := in.fdReady(s.fd, s.typ == eventFdWrite)
			if ready || en != errSUCCESS {
				if putEvent(mem, outPtr+n*eventSize, s, en) != errSUCCESS {
					return errFAULT
				}
				n++
			}
		}
		var left time.Duration
		if clock >= 0 {
			left = time.Duration(deadline - in.mono(in.kernelNow()))
			if n == 0 && left <= 0 {
				if putEvent(mem, outPtr, &subs[clock], errSUCCESS) != errSUCCESS {
					return errFAULT
				}
				n++
			}
		}
		if n > 0 {
			return putU32(mem, nPtr, n)
		}
		in.waited()
		timedOut, ok := in.sleep(clock >= 0, left, len(subs) > 1 || clock < 0)
		if !ok {
			in.stop()
		}
		if timedOut {
			// The host's clock may drift: a sleep of one nanosecond of
			// it can round to no simulated time, and the deadline would
			// stay a nanosecond away forever. The monotonic clock the
			// program reads reaches the deadline when the sleep ends.
			in.lastMono = max(in.lastMono, deadline)
		}
	}
}

// sleep waits for d on the simulated clock (forever when timed is false),
// or, when sockets is true, until a socket wakes it first. It reports
// whether the time ran out, and ok false when the process is being asked
// to stop.
func (in *instance) sleep(timed bool, d time.Duration, sockets bool) (timedOut, ok bool) {
	if !sockets {
		err := in.p.Time.Sleep(in.wait, d)
		return err == nil, err == nil || in.wait.Err() == nil
	}
	if timed {
		t := in.p.Time.AfterFunc(d, func() {
			timedOut = true
			in.notify()
		})
		defer t.Stop()
	}
	_, _, err := in.wake.Recv(in.wait)
	return timedOut, err == nil || in.wait.Err() == nil
}

// stop turns the end of the process's context into SIGTERM. A program
// that listens for it (os/signal.Notify) gets it and goes on running until
// it exits or the grace period ends; one that ignores it (signal.Ignore)
// goes on running too, never told; one that does neither ends at once, as
// SIGTERM's default action ends a process.
func (in *instance) stop() {
	if in.stopping {
		return
	}
	in.stopping = true
	in.wait = context.WithoutCancel(in.ctx)
	switch {
	case in.termIgnored:
		return
	case !in.sigOpen:
		in.terminate()
	}
	in.raise(sigTERM)
}

// terminate ends the program as SIGTERM's default action does.
func (in *instance) terminate() {
	in.flushOutput()
	if in.idle == nil {
		_ = in.mod.CloseWithExitCode(in.ctx, exitSIGTERM)
	}
	panic(sys.NewExitError(exitSIGTERM))
}

// exitSIGTERM is a shell's status for a process that SIGTERM ended.
const exitSIGTERM = 128 + sigTERM

// fdReady reports whether an fd subscription is ready now.
func (in *instance) fdReady(fd uint32, write bool) (bool, errno) {
	e := in.get(fd)
	if e == nil {
		return false, errBADF
	}
	switch e.kind {
	case kindSocket:
		return e.sock.ready(write), errSUCCESS
	case kindSignal:
		return !write && len(in.signals) > 0, errSUCCESS
	}
	return true, errSUCCESS
}

func putEvent(mem api.Memory, ptr uint32, s *subscription, en errno) errno {
	b, ok := mem.Read(ptr, eventSize)
	if !ok {
		return errFAULT
	}
	clear(b)
	putLE64(b[0:], s.userdata)
	b[8], b[9] = byte(en), byte(en>>8)
	b[10] = s.typ
	return errSUCCESS
}

func le64(b []byte) uint64 {
	var v uint64
	for i := range 8 {
		v |= uint64(b[i]) << (8 * i)
	}
	return v
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
