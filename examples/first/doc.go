// Package first is the smallest whole simulation test, to copy from: one
// process (an echo server), one workload that drives and checks it, and
// one assertion, all in first_test.go. Run it with
//
//	go test -v -run '^TestEcho$' ./examples/first
package first
