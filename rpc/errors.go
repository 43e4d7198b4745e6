package rpc

import (
	"errors"
	"fmt"
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
	// ErrNotSent: the request never left this process (the connection it
	// waited for could not be made, or the unreliable queue was full), so
	// it was not delivered, and sending it again cannot deliver it twice.
	// An error that matches it matches ErrMaybeDelivered too, which it
	// refines.
	ErrNotSent = errors.New("rpc: the request was not sent")
	// ErrEndpointNotFound: the peer has no endpoint with the token. The
	// request was not delivered. A dynamic token not found stays failed
	// ([FailureMonitor.PermanentlyFailed]); a well-known one may be served
	// later (a process still booting).
	ErrEndpointNotFound = errors.New("rpc: endpoint not found")
	// ErrClosed: the transport is closed; nothing more goes out or comes in.
	ErrClosed = errors.New("rpc: the transport is closed")
	// ErrQueueFull: the peer's reliable queue holds Config.MaxQueued
	// requests already; the request was not queued. See [Config].
	ErrQueueFull = errors.New("rpc: the peer's reliable queue is full")
	// ErrTokenInUse: an endpoint is already served at the token.
	ErrTokenInUse = errors.New("rpc: the token is already served")
	// ErrAnswered: a request was answered already; a promise is kept once.
	ErrAnswered = errors.New("rpc: the request was answered already")
)

// RemoteError is what a peer's handler returned instead of a reply: the
// request was delivered and handled, and the handler said no. Only the
// message travels; the error's type and wrapped errors stay on the server.
type RemoteError struct {
	Addr  string // the server's address
	Token Token  // the endpoint that answered
	Msg   string // the handler's error, as its Error method gave it
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("rpc: the handler of %v at %s failed: %s", e.Token, e.Addr, e.Msg)
}

// failedError is a request whose server is known to have failed: it
// matches ErrBrokenPromise and ErrMaybeDelivered.
type failedError struct{ msg string }

func (e *failedError) Error() string { return e.msg }

func (e *failedError) Is(target error) bool {
	return target == ErrBrokenPromise || target == ErrMaybeDelivered
}

// notSentError is a request dropped before it left this process: it
// matches ErrNotSent, and ErrMaybeDelivered, which ErrNotSent refines.
// Its message says what happened, where wrapping both sentinels would
// tell two stories.
type notSentError struct{ msg string }

func (e *notSentError) Error() string { return e.msg }

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
