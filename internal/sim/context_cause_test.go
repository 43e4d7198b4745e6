package sim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// opaque is a context of another package's that hides what it is under.
type opaque struct{ context.Context }

func (opaque) Value(any) any { return nil }

// A deadline made under a context of another package's ends by its
// cancel with the cause it is given and the error Canceled, as package
// context's, even when the cause wraps DeadlineExceeded.
func TestDeadlineUnderAnotherPackagesContextKeepsCanceledForACause(t *testing.T) {
	cause := fmt.Errorf("gave up: %w", context.DeadlineExceeded)
	pkg, stopPkg := withDeadlineCancelCause(context.Background(), time.Now().Add(time.Hour))
	stopPkg(cause)
	w := New(Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		parent, stop := context.WithCancel(context.Background())
		defer stop()
		c, cancel := p.Time.(*timeProvider).WithDeadlineCancelCause(opaque{parent}, p.Time.Now().Add(time.Hour))
		cancel(cause)
		assert.Equal(t, pkg.Err(), c.Err(), "Err")
		assert.Equal(t, context.Cause(pkg), context.Cause(c), "Cause")
		return nil
	})
	require.NoError(t, res.Err)
}
