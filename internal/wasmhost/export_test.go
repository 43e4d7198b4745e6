package wasmhost

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
