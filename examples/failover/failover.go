package failover

import (
	"context"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/providers"
)

// Register is a number kept on a primary and a backup.
type Register struct {
	// Sync makes Write wait until the backup has the value. Without it a
	// write is acknowledged as soon as the primary has it.
	Sync bool
	// Link is how long the link to the backup takes to carry a write. It
	// defaults to [DefaultLink].
	Link func(r providers.Random) time.Duration

	ctx      context.Context // where the register's own tasks run
	p        providers.Providers
	primary  *int
	backup   *int // nil once the backup has been promoted
	inFlight int  // writes sent to the backup and not yet applied
}

// New returns a register holding 0 whose tasks run in ctx.
func New(ctx context.Context, p providers.Providers) *Register {
	return &Register{ctx: ctx, p: p, primary: new(int), backup: new(int)}
}

// Write sets the register to v.
func (r *Register) Write(ctx context.Context, v int) error {
	*r.primary = v
	if r.backup == nil {
		return nil
	}
	link := r.Link
	if link == nil {
		link = DefaultLink
	}
	backup, delay := r.backup, link(r.p.Random)
	r.inFlight++
	h := r.p.Task.Go(r.ctx, "replicate", func(ctx context.Context) error {
		if err := r.p.Time.Sleep(ctx, delay); err != nil {
			return err
		}
		*backup = v
		r.inFlight--
		assertions.Reachable(ctx, "the backup applies a write")
		return nil
	})
	if r.Sync {
		if err := h.Join(ctx); err != nil {
			return err
		}
	}
	assertions.Reachable(ctx, "a write is acknowledged")
	return nil
}

// Read returns the value of the register.
func (r *Register) Read(ctx context.Context) int {
	assertions.Reachable(ctx, "a read is served")
	assertions.Sometimes(ctx, r.inFlight > 0, "a read is served while a write is on its way to the backup")
	return *r.primary
}

// Fail crashes the primary and promotes the backup. Writes already on
// their way to the backup still land.
func (r *Register) Fail(ctx context.Context) {
	if r.backup == nil {
		return
	}
	assertions.Reachable(ctx, "the backup is promoted")
	assertions.Sometimes(ctx, r.inFlight > 0, "the backup is promoted while a write is on its way to it")
	r.primary, r.backup = r.backup, nil
}

// DefaultLink takes a millisecond, and one time in fifty half a second.
func DefaultLink(r providers.Random) time.Duration {
	if r.IntN(50) == 0 {
		return 500 * time.Millisecond
	}
	return time.Millisecond
}
