package rpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
)

// The outcomes of a request other than a reply. Test for them with
// errors.Is: an error may match more than one.
var (
	// ErrBrokenPromise: the server will never reply. Its handler returned
	// without replying or panicked, or the process that held the request
	// died (learned by the failure monitor, or by meeting its next
	// incarnation). The request was delivered, or, when the error also
	// matches ErrMaybeDelivered, may have been.
	ErrBrokenPromise = errors.New("rpc: broken promise: the server will never reply")
	// ErrMaybeDelivered: the connection the request went out on ended, or
	// the request was dropped before it, and no reply came; the server may
	// or may not have received it.
	ErrMaybeDelivered = errors.New("rpc: the request may or may not have been delivered")
	// ErrNotSent: the request never left this process, and never will, so
	// it was not delivered, and sending it again cannot deliver it twice.
	// It does not encode, or is larger than Config.MaxPayload; a queue was
	// full (a reliable queue's error matches ErrQueueFull too); the
	// connection it waited for could not be made, or ended before it was
	// written; the transport was closed first (the error matches ErrClosed
	// too); or the caller's context ended first (the error matches the
	// context's error too), and the request was taken out of the queue.
	// An error that matches it matches ErrMaybeDelivered too, which it
	// refines.
	ErrNotSent = errors.New("rpc: the request was not sent")
	// ErrEndpointNotFound: the peer has no endpoint with the token. The
	// request was not delivered. A dynamic token not found stays failed
	// ([FailureMonitor.PermanentlyFailed]); a well-known one may be served
	// later (a process still booting), and is answered not found only
	// once its transport's first [Config.ServeGrace] is over.
	ErrEndpointNotFound = errors.New("rpc: endpoint not found")
	// ErrClosed: the transport is closed; nothing more goes out or comes in.
	// A call that waited as it closed gets an error that matches ErrClosed
	// and ErrNotSent when its request was never written, or ErrClosed and
	// ErrMaybeDelivered when it was.
	ErrClosed = errors.New("rpc: the transport is closed")
	// ErrQueueFull: the peer's reliable queue holds Config.MaxQueued
	// requests already; the request was not queued, and its error matches
	// ErrNotSent too. See [Config].
	ErrQueueFull = errors.New("rpc: the peer's reliable queue is full")
	// ErrTokenInUse: an endpoint is already served at the token.
	ErrTokenInUse = errors.New("rpc: the token is already served")
	// ErrAnswered: a request was answered already; a promise is kept once.
	ErrAnswered = errors.New("rpc: the request was answered already")
	// ErrReplyLost: the request was delivered and handled, and its handler
	// returned a reply, which the server could not send (it does not
	// encode, or is larger than a frame may be): what the handler did
	// stands, and its reply is gone. Sending the request again runs the
	// handler again, most likely to the same end; fix the reply. An error
	// that matches it matches ErrMaybeDelivered too, which it refines, so
	// that a caller that tests only for that reads the outcome as unknown.
	ErrReplyLost = errors.New("rpc: the handler replied, and its reply was lost")
	// ErrCallerGone is, on the server, the cause (context.Cause) of a
	// handler's context that ended because the connection its request
	// came on closed or failed: no reply can reach the caller there, so
	// the handler may stop its work. A caller that still waits sends the
	// request again on its next connection (GetReply), where another
	// handler runs for it.
	ErrCallerGone = errors.New("rpc: the caller is gone")
	// ErrCallerCanceled is, on the server, the cause (context.Cause) of a
	// handler's context that ended because its caller gave up on the
	// request before its reply: the caller's context was cancelled, or
	// ended otherwise, and its transport told the server so. Nobody
	// waits for the reply, which is dropped; the handler may stop its
	// work.
	ErrCallerCanceled = errors.New("rpc: the caller canceled the request")
)

// RemoteError is what a peer's handler returned instead of a reply: the
// request was delivered and handled, and the handler said no. (Or the
// server refused a request that does not decode, before any handler
// ran: [RemoteError.HandlerRan] reports false, its Error says so, and Msg
// is the codec's error.) The
// error's message travels, and so do the messages of the errors it wraps;
// their types stay on the server.
//
// errors.Is matches a RemoteError against an error by its message: the
// handler's error matches if it is, or wraps, an error with the same
// message. So errors.Is(err, lock.ErrNotLeader) holds on the client when
// the handler returned lock.ErrNotLeader, or fmt.Errorf("put %q: %w",
// key, lock.ErrNotLeader), from a package both sides import. It never
// matches rpc's own errors or a context's or deadline's end
// (os.ErrDeadlineExceeded too), which on the client speak of the call
// itself: a handler whose own call ran out of time did not make the
// client's call run out of time. errors.As finds the RemoteError itself,
// never the handler's types.
type RemoteError struct {
	Addr  string // the server's address
	Token Token  // the endpoint that answered
	Msg   string // the handler's error, as its Error method gave it

	// wrapped holds the messages of the errors it wraps (appendRemoteErr),
	// each ended by a NUL byte: a string, so that a RemoteError stays
	// comparable.
	wrapped string
	// undecoded: the request did not decode, and no handler ran.
	undecoded bool
}

// HandlerRan reports whether a handler ran on the request and returned
// the error: false when the server refused the request, before any
// handler ran, as it does not decode (the two ends disagree on the
// message type or the Codec), so nothing was done.
func (e *RemoteError) HandlerRan() bool { return !e.undecoded }

func (e *RemoteError) Error() string {
	if e.undecoded {
		return fmt.Sprintf("rpc: %v at %s refused the request, which does not decode, so no handler ran (both ends must use the same Codec and message types): %s", e.Token, e.Addr, e.Msg)
	}
	return fmt.Sprintf("rpc: the handler of %v at %s failed: %s", e.Token, e.Addr, e.Msg)
}

// Is reports whether the handler's error is, or wraps, an error with
// target's message (see [RemoteError]).
func (e *RemoteError) Is(target error) bool {
	if target == nil || aboutTheCall(target) {
		return false
	}
	msg, ok := messageOf(target)
	return ok && (e.Msg == msg || strings.Contains("\x00"+e.wrapped, "\x00"+msg+"\x00"))
}

// messageOf is target's message, if its Error method gives one: a typed
// nil target's may panic instead.
func messageOf(target error) (msg string, ok bool) {
	defer func() {
		if recover() != nil {
			msg, ok = "", false
		}
	}()
	return target.Error(), true
}

// aboutTheCall reports whether target is one of the errors that, on the
// client, describe its own call.
func aboutTheCall(target error) bool {
	switch target {
	case ErrBrokenPromise, ErrMaybeDelivered, ErrNotSent, ErrEndpointNotFound,
		ErrClosed, ErrQueueFull, ErrTokenInUse, ErrAnswered, ErrReplyLost, ErrCallerGone, ErrCallerCanceled,
		context.Canceled, context.DeadlineExceeded, os.ErrDeadlineExceeded:
		return true
	}
	return false
}

// How much of a handler's error crosses the wire: its message always,
// and the messages of as many of the errors it wraps as the bounds hold
// (at most maxWrapped of them, in at most maxWrappedBytes or a quarter of
// the frame). A chain of wrappings repeats each message in the next, so
// its bytes grow as the square of its length.
const (
	maxWrapped      = 32
	maxWrappedBytes = 64 << 10
	maxVisited      = 1024 // errors looked at, for a tree of wrappings
)

// appendRemoteErr appends the payload of a handler's error, for a frame
// of at most max bytes: kind 4 and its message when it wraps nothing, or
// else kind 6, then its message and those of the errors it wraps, each
// after its length as a uvarint. The errors that wrap nothing go first:
// they are the sentinels a client tests for, and the shortest, so the
// bounds leave out the wrappers' messages, which repeat theirs.
func appendRemoteErr(b []byte, err error, max int) []byte {
	msg := err.Error()
	var leaves, wrappers []error
	for stack := unwrapped(nil, err); len(stack) > 0 && len(leaves)+len(wrappers) < maxVisited; {
		e := stack[len(stack)-1]
		n := len(stack) - 1
		if stack = unwrapped(stack[:n], e); len(stack) == n {
			leaves = append(leaves, e)
		} else {
			wrappers = append(wrappers, e)
		}
	}
	if len(leaves) == 0 {
		return append(append(b, kindRemoteErr), msg...)
	}
	b = appendText(append(b, kindRemoteErrWrapping), msg)
	n, room := 0, min(maxWrappedBytes, max/4)
	for _, e := range append(leaves, wrappers...) {
		m := e.Error()
		if m == msg || len(m) > room {
			continue
		}
		if n++; n > maxWrapped {
			break
		}
		room -= len(m)
		b = appendText(b, m)
	}
	return b
}

func appendText(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// unwrapped pushes the errors err wraps onto stack, the first on top.
func unwrapped(stack []error, err error) []error {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			stack = append(stack, e)
		}
	case interface{ Unwrap() []error }:
		es := u.Unwrap()
		for i := len(es) - 1; i >= 0; i-- {
			if es[i] != nil {
				stack = append(stack, es[i])
			}
		}
	}
	return stack
}

// remoteErr is the RemoteError a payload of kind 4 or 6 carries
// (appendRemoteErr). A body of kind 6 that does not parse is taken whole
// as the message.
func remoteErr(addr string, tok Token, kind byte, body []byte) *RemoteError {
	if kind == kindRemoteErr {
		return &RemoteError{Addr: addr, Token: tok, Msg: string(body)}
	}
	e := &RemoteError{Addr: addr, Token: tok}
	for rest, first := body, true; len(rest) > 0; first = false {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return &RemoteError{Addr: addr, Token: tok, Msg: string(body)}
		}
		m := string(rest[k : k+int(n)])
		rest = rest[k+int(n):]
		if first {
			e.Msg = m
		} else {
			e.wrapped += m + "\x00"
		}
	}
	return e
}

// failedError is a request whose server is known to have failed: it
// matches ErrBrokenPromise and ErrMaybeDelivered.
type failedError struct{ msg string }

func (e *failedError) Error() string { return e.msg }

func (e *failedError) Is(target error) bool {
	return target == ErrBrokenPromise || target == ErrMaybeDelivered
}

// notSentError is a request dropped before it left this process, or
// whose caller's context ended before it did (err, the context's error,
// wrapped): it matches ErrNotSent, and ErrMaybeDelivered, which ErrNotSent
// refines. Its message says what happened, where wrapping both sentinels
// would tell two stories.
type notSentError struct {
	msg string
	err error
}

func (e *notSentError) Error() string { return e.msg }

func (e *notSentError) Unwrap() error { return e.err }

func (e *notSentError) Is(target error) bool {
	return target == ErrNotSent || target == ErrMaybeDelivered
}

// streamClosedError is Next's error on a stream closed while its
// transport is open: it matches ErrClosed.
type streamClosedError struct{ tok Token }

func (e *streamClosedError) Error() string {
	return fmt.Sprintf("rpc: the stream of %v was closed (Stream.Close or Unserve); its transport is open", e.tok)
}

func (e *streamClosedError) Is(target error) bool { return target == ErrClosed }

// nilTransport is the error of method called with a nil *Transport.
func nilTransport(method string) error {
	return fmt.Errorf("rpc: %s: the transport is nil; pass the *Transport that NewTransport returned (a nil one comes with an error)", method)
}

// callAt begins the error of a call: "rpc: GetReply to 1a2b... at
// host:port", which every error of a call begins with.
func callAt(method string, target Token, addr string) string {
	return fmt.Sprintf("rpc: %s to %v at %s", method, target, addr)
}

// maybeError is an outcome that leaves the request's delivery unknown,
// for the reason err: it matches ErrMaybeDelivered, and err.
type maybeError struct {
	msg string
	err error
}

func (e *maybeError) Error() string { return e.msg }

func (e *maybeError) Unwrap() error { return e.err }

func (e *maybeError) Is(target error) bool { return target == ErrMaybeDelivered }

// closedUnsent is the error of the call at (callAt) whose transport was
// closed before its request was sent: it matches ErrClosed and
// ErrNotSent.
func closedUnsent(at string) error {
	return &notSentError{msg: fmt.Sprintf("%s: the transport was closed before the request was sent: %v", at, ErrClosed), err: ErrClosed}
}

// replyLostError is a reply its server could not send: it matches
// ErrReplyLost, and ErrMaybeDelivered, which ErrReplyLost refines.
type replyLostError struct{ msg string }

func (e *replyLostError) Error() string { return e.msg }

func (e *replyLostError) Is(target error) bool {
	return target == ErrReplyLost || target == ErrMaybeDelivered
}

// notSent is err, whose request never left this process, made to match
// ErrNotSent (and ErrMaybeDelivered) as well as what err matches, with
// err's message.
func notSent(err error) error { return &notSentError{msg: err.Error(), err: err} }
