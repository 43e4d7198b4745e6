package rpc

// SpeakUpTo has tr speak the protocol up to version v only, as a release
// of the package before version v+1 does, for the tests of a pair of two
// releases: call it before tr makes or takes a connection.
func SpeakUpTo(tr *Transport, v uint16) { tr.newest = v }

// Running counts the requests tr's inbound connections hold for their
// callers' cancels.
func Running(tr *Transport) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, c := range tr.inbound {
		c.mu.Lock()
		n += len(c.running)
		c.mu.Unlock()
	}
	return n
}
