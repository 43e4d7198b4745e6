package providers_test

import (
	"context"
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// partitionLog is a log whose high watermark, the offset up to which its
// records are committed, is guarded by a Mutex; a Cond tells every fetch
// that waits on it when the watermark moves.
type partitionLog struct {
	mu    *providers.Mutex
	moved *providers.Cond
	hw    int64
}

func newPartitionLog(t providers.Task) *partitionLog {
	mu := providers.NewMutex(t)
	return &partitionLog{mu: mu, moved: providers.NewCond(t, mu)}
}

// commit advances the high watermark and wakes every fetch.
func (l *partitionLog) commit(ctx context.Context, hw int64) error {
	if err := l.mu.Lock(ctx); err != nil {
		return err
	}
	l.hw = hw
	l.mu.Unlock()
	l.moved.Broadcast()
	return nil
}

// fetch is a long poll: it returns the high watermark once it is past
// offset, or ctx's error if the fetch's time runs out first.
func (l *partitionLog) fetch(ctx context.Context, offset int64) (int64, error) {
	if err := l.mu.Lock(ctx); err != nil {
		return 0, err
	}
	defer l.mu.Unlock()
	for l.hw <= offset {
		if err := l.moved.Wait(ctx); err != nil {
			return 0, err
		}
	}
	return l.hw, nil
}

func ExampleCond() {
	ctx := context.Background()
	p := providers.Real()
	plog := newPartitionLog(p.Task)

	fetches := providers.NewWaitGroup(p.Task)
	got := providers.NewChan[int64](p.Task, 2)
	for range 2 {
		fetches.Go(ctx, "fetch", func(ctx context.Context) error {
			hw, err := plog.fetch(ctx, 4) // wait for offset 4 to be committed
			if err != nil {
				return err
			}
			return got.Send(ctx, hw)
		})
	}
	for hw := int64(1); hw <= 5; hw++ {
		_ = p.Time.Sleep(ctx, time.Millisecond)
		_ = plog.commit(ctx, hw)
	}
	_ = fetches.Wait(ctx)
	for range 2 {
		hw, _, _ := got.Recv(ctx)
		fmt.Println("fetch returned at high watermark", hw)
	}

	// A fetch that nothing satisfies ends with its timeout, and leaves no
	// waiter behind.
	short, cancel := p.Time.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err := plog.fetch(short, 5)
	fmt.Println(err)
	// Output:
	// fetch returned at high watermark 5
	// fetch returned at high watermark 5
	// context deadline exceeded
}
