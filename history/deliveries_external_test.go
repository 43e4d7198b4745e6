package history_test

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/history"
)

func TestDeliveriesNamesEachBreach(t *testing.T) {
	d := history.NewDeliveries[string]()
	for _, m := range []string{"a", "b", "c", "d"} {
		d.Sent(m)
	}
	d.MaybeSent("e") // never delivered: no breach
	d.MaybeSent("f")
	d.Delivered("f") // delivered after an unknown send: no breach
	d.Delivered("a")
	d.Delivered("b")
	d.Delivered("b")
	d.Delivered("z") // nobody sent it
	require.NoError(t, func() error {
		d := history.NewDeliveries[string]()
		d.Sent("x")
		d.Delivered("x")
		return d.Check(history.ExactlyOnce)
	}())

	err := d.Check(history.AtLeastOnce)
	var de *history.DeliveryError[string]
	require.True(t, errors.As(err, &de), "%v", err)
	assert.Equal(t, []string{"c", "d"}, de.Lost)
	assert.Equal(t, []string{"z"}, de.Unexpected)
	assert.Empty(t, de.Duplicated, "at least once allows a second delivery")
	assert.EqualError(t, err, "history: the queue broke its promise of delivery: 2 of the 4 messages whose send was acknowledged never delivered (lost): c, d; 1 delivered that no producer sent: z")

	err = d.Check(history.ExactlyOnce)
	require.True(t, errors.As(err, &de))
	assert.Equal(t, []string{"b"}, de.Duplicated)
	assert.Contains(t, err.Error(), "; 1 delivered more than once, where the promise is exactly once: b (2 times)")

	assert.PanicsWithValue(t, "history: Deliveries.Check given Promise 0; pass history.AtLeastOnce or history.ExactlyOnce", func() { _ = d.Check(0) })
}

func TestDeliveriesNamesTheFirstFewOfMany(t *testing.T) {
	d := history.NewDeliveries[int]()
	for i := range 12 {
		d.Sent(i)
	}
	assert.ErrorContains(t, d.Check(history.AtLeastOnce), "12 of the 12 messages whose send was acknowledged never delivered (lost): 0, 1, 2, 3, 4, and 7 more")
}

// Producers and consumers record from several goroutines at once.
func TestDeliveriesRecordsConcurrently(t *testing.T) {
	d := history.NewDeliveries[string]()
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := range 100 {
				m := fmt.Sprintf("p%d-%d", p, i)
				d.Sent(m)
				d.Delivered(m)
			}
		})
	}
	wg.Wait()
	assert.NoError(t, d.Check(history.ExactlyOnce))
}

// A generated run of a queue: the checker finds exactly the messages that
// were acknowledged and dropped, delivered from nowhere, or delivered
// twice, whatever the order of the records.
func TestDeliveriesFindsWhatWasBroken(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 30).Draw(t, "messages")
		type fate struct{ acked, lost, twice bool }
		fates := make([]fate, n)
		var recs []func(*history.Deliveries[int])
		wantLost, wantTwice := map[int]bool{}, map[int]bool{}
		for i := range fates {
			f := fate{acked: rapid.Bool().Draw(t, "acked"), lost: rapid.Bool().Draw(t, "lost"), twice: rapid.Bool().Draw(t, "twice")}
			i := i
			if f.acked {
				recs = append(recs, func(d *history.Deliveries[int]) { d.Sent(i) })
			} else {
				recs = append(recs, func(d *history.Deliveries[int]) { d.MaybeSent(i) })
			}
			if !f.lost {
				recs = append(recs, func(d *history.Deliveries[int]) { d.Delivered(i) })
				if f.twice {
					recs = append(recs, func(d *history.Deliveries[int]) { d.Delivered(i) })
					wantTwice[i] = true
				}
			} else if f.acked {
				wantLost[i] = true
			}
		}
		stray := rapid.IntRange(0, 3).Draw(t, "stray")
		for j := range stray {
			recs = append(recs, func(d *history.Deliveries[int]) { d.Delivered(1000 + j) })
		}
		order := rapid.Permutation(recs).Draw(t, "order")
		d := history.NewDeliveries[int]()
		for _, r := range order {
			r(d)
		}
		err := d.Check(history.ExactlyOnce)
		if len(wantLost)+len(wantTwice)+stray == 0 {
			if err != nil {
				t.Fatalf("a queue that kept its promise: %v", err)
			}
			return
		}
		var de *history.DeliveryError[int]
		if !errors.As(err, &de) {
			t.Fatalf("want a DeliveryError, got %v", err)
		}
		set := func(ms []int) map[int]bool {
			out := map[int]bool{}
			for _, m := range ms {
				out[m] = true
			}
			return out
		}
		if got := set(de.Lost); !maps.Equal(got, wantLost) {
			t.Fatalf("lost %v, want %v", got, wantLost)
		}
		if got := set(de.Duplicated); !maps.Equal(got, wantTwice) {
			t.Fatalf("duplicated %v, want %v", got, wantTwice)
		}
		if len(de.Unexpected) != stray {
			t.Fatalf("unexpected %v, want %d strays", de.Unexpected, stray)
		}
	})
}

// A record made on a clock names the times of each breach, and At the
// first of them.
func TestDeliveriesNamesTimes(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	tick := func() { now = now.Add(100 * time.Millisecond) }
	d := history.NewDeliveriesOn[string](func() time.Time { return now })
	for _, m := range []string{"a", "b", "c"} {
		tick()
		d.Sent(m)
	}
	tick()
	d.Delivered("c") // 0.400s
	tick()
	d.Delivered("b") // 0.500s
	tick()
	d.Delivered("b") // 0.600s
	tick()
	d.Delivered("z") // 0.700s
	tick()
	err := d.Check(history.ExactlyOnce)
	assert.EqualError(t, err, `history: the queue broke its promise of delivery: `+
		`1 of the 3 messages whose send was acknowledged never delivered (lost): a (acknowledged at 0.100s); `+
		`1 delivered that no producer sent: z (delivered at 0.700s); `+
		`1 delivered more than once, where the promise is exactly once: b (2 times, at 0.500s and again at 0.600s)`)
	var de *history.DeliveryError[string]
	require.True(t, errors.As(err, &de))
	assert.Equal(t, start.Add(100*time.Millisecond), de.At(), "the first breach: a's acknowledgement")
	assert.Equal(t, start.Add(800*time.Millisecond), de.CheckedAt())

	d.Delivered("a")
	require.True(t, errors.As(d.Check(history.AtLeastOnce), &de))
	assert.Equal(t, start.Add(700*time.Millisecond), de.At(), "the first breach: z's delivery")

	err = history.NewDeliveries[string]().Check(history.AtLeastOnce)
	require.NoError(t, err)
	noClock := history.NewDeliveries[string]()
	noClock.Sent("a")
	require.True(t, errors.As(noClock.Check(history.AtLeastOnce), &de))
	assert.Zero(t, de.At(), "a record without a clock names no time")
	assert.Zero(t, de.CheckedAt())
}
