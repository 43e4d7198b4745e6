// Package rpc is a message transport and typed RPC after FoundationDB's
// FlowTransport, written against the providers: the same code runs in a
// deterministic simulation and, over [providers.Real], in production.
//
// A [Transport] keeps one logical connection per remote address, across
// reconnects, with a reliable queue (requests waiting for their replies,
// sent again on each new connection) and an unreliable one (dropped when
// a connection ends). An endpoint is a [Token] served by a handler or read
// as a stream; its address, an [Endpoint], is plain data that travels in
// messages. A call's deadline travels with its request: the handler's
// context ends when the caller's time is up, counted on the server's
// clock from the request's arrival. It ends too when the caller is gone:
// when the connection the request came on closes or fails (the caller's
// transport closed, its host crashed, the network cut it), no reply
// could reach the caller, and the context's cause matches
// [ErrCallerGone], so that a long handler stops working for nobody; a
// stream's request has that context too, [Request.Context]. A caller
// that gives up before its reply (its context cancelled, as
// providers.Quorum cancels the calls it no longer waits for) tells the
// server, which ends that request's context with a cause that matches
// [ErrCallerCanceled]; a request costs a context of its own only when
// its caller's context can end before the caller's transport does.
// Each way of sending says what it guarantees:
//
//	tr, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: ":4500"})
//	put, err := rpc.Serve(tr, rpc.WellKnown(1), srv.put) // rpc.Endpoint[PutReq, PutResp]
//	ack, err := put.GetReply(ctx, tr, PutReq{Key: "k"})   // at least once: may arrive twice
//	switch {
//	case errors.Is(err, rpc.ErrBrokenPromise): ...
//	case errors.Is(err, kv.ErrNotLeader): ... // the handler's, matched by message
//	case errors.As(err, &remote): ...
//	}
//
// # Index
//
// The transport: [NewTransport], [Config], [Transport.Addr],
// [Transport.Close], [Transport.Stats] and [Stats], [Transport.Monitor],
// [Transport.Providers]; mutual TLS: [Config.TLS].
//
// Who called: [CallerOf] (in a handler), [Request.Caller] (a stream's
// request), [Caller] ([Caller.Certificate]).
//
// Endpoints: [Token] ([Token.IsWellKnown], [Token.IsZero], [Token.Index]), [WellKnown],
// [NewToken], [Endpoint], [At], [Serve], [Handler], [Unserve],
// [Config.ServeGrace]; streams:
// [ServeStream], [Stream] ([Stream.Next], [Stream.Endpoint],
// [Stream.Close]), [Request] ([Request.Reply], [Request.Fail],
// [Request.Break], [Request.Context]).
//
// Delivery modes, each with its outcome table: [Endpoint.Send] (fire and
// forget), [Endpoint.TryGetReply] (at most once), [Endpoint.GetReply] (at
// least once), [Endpoint.GetReplyUnlessFailedFor] (at least once, until
// the server fails).
//
// Outcomes: [ErrBrokenPromise], [ErrMaybeDelivered] (refined by
// [ErrNotSent]: never sent, and [ErrReplyLost]: handled, its reply
// lost), [ErrEndpointNotFound], [ErrClosed], [ErrQueueFull],
// [ErrTokenInUse], [ErrAnswered], [ErrCallerGone] and [ErrCallerCanceled]
// (a handler's context's causes), [RemoteError] (with
// [RemoteError.HandlerRan]: false for a request that does not decode); a
// context's end is its own error, wrapped.
//
// Failures: [FailureMonitor] with [FailureMonitor.State] (a [State]),
// [FailureMonitor.WaitChange], [FailureMonitor.WaitFailedFor] and
// [FailureMonitor.PermanentlyFailed].
//
// Messages: [Codec], [JSONCodec].
//
// # Wire format
//
// Every frame is a 24-byte header, then the payload: the frame's length,
// header included (uint32, little-endian), a CRC-32C of the token and the
// payload, and the 16-byte token of the endpoint it is for. A frame whose
// length or checksum is wrong ends its connection, and only that one; the
// payload is at most [Config.MaxPayload] (1 MiB by default). The chapter
// docs/rpc.md has the payloads and the handshake.
//
// # TLS
//
// With [Config.TLS] set, every connection runs a TLS handshake before the
// hello, within ConnectTimeout: the transport dials as a TLS client that
// checks the server's certificate for the host it dials, and accepts as
// a TLS server that, with ClientAuth set, requires the caller's.
// Certificates are checked at the Time provider's time, so a simulation
// can let one expire. A failed handshake fails the connect, which backs
// off and is retried as a refused one is; a call that times out meanwhile
// says what failed and what to change. A handler authorises a request
// by its caller's certificate, which [CallerOf] reads from its context.
// In a simulation the handshake runs over the simulated network as in
// production; certificates with ECDSA keys are refused there (their
// signatures vary in length, and a seed's path with them), and
// docs/rpc.md says what else keeps a seed's run the same over TLS.
//
// # Determinism
//
// In a simulation, the transport starts its tasks with the Task provider,
// waits only through the providers, draws its tokens, its incarnation and
// its backoff jitter from the Random provider, and iterates no map where
// order shows; a seed replays it exactly. Broken promises are found
// without finalizers: a handler's return, a panic, a connection's end, a
// failure the monitor saw, or a new incarnation met at the same address.
// Under buggify, connections are dropped now and then, so that every
// simulation exercises reconnects; a Run's report counts each drop among
// the faults of the network its seeds saw ("connections dropped by rpc's
// buggify").
package rpc
