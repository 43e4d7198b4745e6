// Package partition is a ping service and two clients for it, the example
// of Moonpool for Go's simulated network.
//
// [Serve] answers each line "ping N" with "pong N". [Naive] is the client
// most code starts as: it dials once, gives every call a timeout, and
// returns the first error it meets. [Resilient] treats every error (a
// timeout, a reset, a refused connect) as a reason to drop the connection,
// back off, dial again and retry, until its context ends.
//
// Both are written against providers.Network and providers.Time, so they
// run over package net in production and over the simulated network in a
// test. The test in this package runs the resilient client for twenty
// seeds under random partitions, and passes. With -planted it runs the naive
// client, and the first seed whose partition lands on a call fails and
// prints the line that replays it.
package partition
