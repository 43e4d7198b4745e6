package providers

import "errors"

// ErrRestart, wrapped in the error a process's Run returns, asks for the
// process to be restarted, as a supervisor with restart-on-failure
// (systemd's Restart=on-failure, a Kubernetes pod's restartPolicy) would:
// the process stops as if it had crashed and boots again from its disk.
// It is the way out after a failure that leaves in-memory state
// untrustworthy, such as a failed fsync, after which PostgreSQL and etcd
// crash and recover from what the disk holds.
//
//	if err := f.Sync(); err != nil {
//		return fmt.Errorf("wal: sync failed: %v: %w", err, providers.ErrRestart)
//	}
//
// In a simulation the restart is recorded in the timeline and a process
// that asks for one on every boot is stopped (see simtest's Cluster). In
// production, main returns a non-zero exit status for it and leaves the
// restart to the supervisor.
var ErrRestart = errors.New("the process asks to be restarted")
