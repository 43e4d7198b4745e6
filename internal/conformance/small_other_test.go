//go:build !linux

package conformance_test

import "net"

// realListenSmall returns nil: the figure of a full accept queue is
// Linux's, and other systems differ (Windows refuses the connect).
func realListenSmall() func() (net.Listener, int, error) { return nil }
