// Package browser is a simulation small enough to run in a web page: a
// client and a server exchanging requests over the simulated network,
// under chaos, built for WebAssembly and drawn with the same renderer as
// the -simhtml timeline. The same seed run natively gives the same
// history, line for line: that is what determinism promises, and the
// browser test checks it.
//
// The server keeps the ids of the requests it applied in a log on its
// disk, and answers a request once its id is durable. The clients send
// numbered requests with rpc's GetReply, which may deliver a request more
// than once (the server applies an id once), and note each outcome. After
// the chaos, the check asks the server for every id it acknowledged: one
// missing is a lost acknowledged write.
//
// Three modes: calm (latency, no faults), stormy (the network's faults and
// reboots of the server) and buggy (stormy, with a server that answers
// before its write is durable: a crash then loses an acknowledged write).
//
// Run it in a browser with one command, from the module's root:
//
//	go run ./examples/browser/serve
//
// and open http://127.0.0.1:8080.
package browser
