package wasmhost

import (
	"io/fs"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// A disk's refusal by a file's mode reaches a program as EACCES, which Go's
// wasip1 runtime reads as "Permission denied" and matches with
// fs.ErrPermission, as on Linux (not EPERM, "Operation not permitted").
func TestErrnoOfPermissionDenied(t *testing.T) {
	err := &fs.PathError{Op: "open", Path: "ro", Err: syscall.EACCES}
	require.Equal(t, errACCES, errnoOf(err))
}
