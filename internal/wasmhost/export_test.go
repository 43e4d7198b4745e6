package wasmhost

import "errors"

// errNotReactor is why a command starts cold.
var errNotReactor = errors.New("the program is not built as a reactor")

// SnapshotErr tells why instances of m with c's arguments and environment
// start cold, or nil when they start from a snapshot.
func SnapshotErr(m *Module, c Config) error {
	if !m.reactor {
		return errNotReactor
	}
	_, err := m.snapshotFor(c)
	return err
}

// ErrUnsafeInit is errUnsafeInit, for the tests.
var ErrUnsafeInit = errUnsafeInit

// CountHostCalls makes an instance run with c count the program's calls
// of host functions into n.
func CountHostCalls(c *Config, n *int) { c.hostCalls = n }
