package sim

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// After the run, a cause given from another goroutine reaches the world's
// contexts under the one cancelled, asked or not for Done, as other
// goroutines read them. Run under -race.
func TestCauseAfterTheRunFromAnotherGoroutine(t *testing.T) {
	for _, asked := range []bool{false, true} {
		w := New(Config{Seed: 1})
		var a, b, c, d context.Context
		var cancelA context.CancelCauseFunc
		var later []context.CancelFunc // called after cancelA
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			root := context.WithoutCancel(ctx)
			a, cancelA = p.Time.(*timeProvider).WithDeadlineCancelCause(root, p.Time.Now().Add(time.Hour))
			var cancelB, cancelD context.CancelFunc
			b, cancelB = w.WithCancel(a)
			d, cancelD = p.Time.WithTimeout(b, time.Minute)
			later = append(later, cancelB, cancelD)
			if asked {
				_ = b.Done()
			}
			var cancelC context.CancelFunc
			c, cancelC = context.WithCancel(d)
			later = append(later, cancelC)
			return nil
		})
		require.NoError(t, res.Err)
		cause := errors.New("gone")
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for _, x := range []context.Context{a, b, c, d} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					_ = context.Cause(x)
					_ = x.Err()
					_ = x.Done()
					runtime.Gosched() // under wasip1's one thread, a loop that never yields never lets the cancel run
				}
			}()
		}
		done := make(chan struct{})
		go func() { cancelA(cause); close(done) }()
		<-done
		close(stop)
		wg.Wait()
		for i, x := range []context.Context{a, b, d, c} {
			assert.Equal(t, context.Canceled, x.Err(), "context %d, Done asked %v", i, asked)
			assert.Equal(t, cause, context.Cause(x), "context %d, Done asked %v", i, asked)
			select {
			case <-x.Done():
			default:
				t.Errorf("context %d not done", i)
			}
		}
		late, cancel := context.WithCancel(d)
		assert.Equal(t, cause, context.Cause(late))
		cancel()
		for _, f := range later {
			f()
		}
	}
}
