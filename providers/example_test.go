package providers_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

func ExampleChan() {
	ctx := context.Background()
	p := providers.Real()

	words := providers.NewChan[string](p.Task, 0)
	p.Task.Go(ctx, "producer", func(ctx context.Context) error {
		defer words.Close()
		for _, w := range []string{"deterministic", "simulation", "testing"} {
			if err := words.Send(ctx, w); err != nil {
				return err
			}
		}
		return nil
	})
	for {
		w, ok, err := words.Recv(ctx)
		if err != nil || !ok {
			break
		}
		fmt.Println(w)
	}
	// Output:
	// deterministic
	// simulation
	// testing
}

func ExampleMutex() {
	ctx := context.Background()
	p := providers.Real()

	m := providers.NewMutex(p.Task)
	wg := providers.NewWaitGroup(p.Task)
	count := 0 // guarded by m
	for range 10 {
		wg.Go(ctx, "incrementer", func(ctx context.Context) error {
			if err := m.Lock(ctx); err != nil {
				return err
			}
			defer m.Unlock()
			count++
			return nil
		})
	}
	if err := wg.Wait(ctx); err != nil {
		fmt.Println(err)
	}
	fmt.Println(count)

	// Lock gives up when its context is done.
	fmt.Println(m.TryLock())
	ctx, cancel := p.Time.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	fmt.Println(m.Lock(ctx))
	m.Unlock()
	// Output:
	// 10
	// true
	// context deadline exceeded
}

func ExampleWaitGroup() {
	ctx := context.Background()
	p := providers.Real()

	wg := providers.NewWaitGroup(p.Task)
	squares := make([]int, 4)
	for i := range squares {
		wg.Go(ctx, fmt.Sprintf("square%d", i), func(ctx context.Context) error {
			squares[i] = i * i
			return nil
		})
	}
	if err := wg.Wait(ctx); err != nil {
		fmt.Println(err)
	}
	fmt.Println(squares)
	// Output: [0 1 4 9]
}

func ExampleSelect() {
	ctx := context.Background()
	p := providers.Real()

	results := providers.NewChan[int](p.Task, 1)
	p.Task.Go(ctx, "worker", func(ctx context.Context) error {
		return results.Send(ctx, 42)
	})

	// Wait for the result, or give up after a second.
	ctx, cancel := p.Time.WithTimeout(ctx, time.Second)
	defer cancel()
	err := providers.Select(ctx,
		providers.OnRecv(results, func(v int, ok bool) { fmt.Println("result:", v) }),
	)
	fmt.Println("error:", err)

	// With a Default, Select does not wait.
	_ = providers.Select(ctx,
		providers.OnRecv(results, func(v int, ok bool) { fmt.Println("another result:", v) }),
		providers.Default(func() { fmt.Println("no result yet") }),
	)
	// Output:
	// result: 42
	// error: <nil>
	// no result yet
}

func ExampleQuorum() {
	ctx := context.Background()
	p := providers.Real()

	// Three replicas: one answers at once, one is down, one is slow.
	read := func(answer string, after time.Duration, err error) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := p.Time.Sleep(ctx, after); err != nil {
				return "", err
			}
			return answer, err
		}
	}
	replicas := []func(context.Context) (string, error){
		read("v1 from a", 0, nil),
		read("", 0, errors.New("b is down")),
		read("v1 from c", 50*time.Millisecond, nil),
	}
	got, err := providers.Quorum(ctx, p.Task, 2, replicas...) // a majority
	fmt.Println(got, err)
	_, err = providers.Quorum(ctx, p.Task, 3, replicas...) // all three
	fmt.Println(err)
	// Output:
	// [v1 from a v1 from c] <nil>
	// providers: a quorum of 3 among 3 calls is out of reach, 1 of them failed: b is down
}

func ExampleGroup() {
	ctx := context.Background()
	p := providers.Real()

	g, _ := providers.NewGroup(ctx, p.Task)
	g.Go("fetch", func(ctx context.Context) error {
		return errors.New("the replica is down")
	})
	g.Go("watch", func(ctx context.Context) error {
		// Ends when the fetch fails: the group's context is cancelled.
		return providers.Wait(ctx, p.Task)
	})
	fmt.Println(g.Wait(ctx))
	// Output: the replica is down
}

func ExampleTicker() {
	ctx := context.Background()
	p := providers.Real()

	tk := providers.NewTicker(p.Time, 10*time.Millisecond)
	start := p.Time.Now()
	for range 3 {
		if err := tk.Wait(ctx); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(p.Time.Now().Sub(start) >= 30*time.Millisecond)
	// Output: true
}
