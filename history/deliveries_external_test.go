package history_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
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

// Producers that each send one message at a time, and a consumer that
// delivers as each send is acknowledged, keep each producer's order,
// recorded from several goroutines at once on a clock.
func TestDeliveriesRecordsOrderConcurrently(t *testing.T) {
	start := time.Now()
	d := history.NewDeliveriesOn[string](time.Now)
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := range 100 {
				m := fmt.Sprintf("p%d-%d", p, i)
				d.Sending(fmt.Sprint("p", p), m)
				d.Sent(m)
				d.Delivered(m)
			}
		})
	}
	wg.Wait()
	assert.NoError(t, d.Check(history.ExactlyOnce|history.InOrder))
	d.Delivered("stray")
	var de *history.DeliveryError[string]
	require.True(t, errors.As(d.Check(history.AtLeastOnce|history.InOrder), &de))
	assert.False(t, de.At().Before(start), "on time.Now's clock")
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

// A producer that sends one message at a time promises InOrder the order
// of its sends; a send that overlapped the one before it, or followed one
// of unknown outcome, promises nothing, nor does a redelivery break it.
func TestDeliveriesInOrder(t *testing.T) {
	// seq records producer p's sends of a then b, one after the other.
	seq := func(d *history.Deliveries[string], p, a, b string) {
		d.Sending(p, a)
		d.Sent(a)
		d.Sending(p, b)
		d.Sent(b)
	}
	for _, tc := range []struct {
		name   string
		record func(d *history.Deliveries[string])
		want   []history.Reordering[string] // under AtLeastOnce|InOrder
	}{{
		name: "in order",
		record: func(d *history.Deliveries[string]) {
			seq(d, "p", "a", "b")
			d.Delivered("a")
			d.Delivered("b")
		},
	}, {
		name: "overtaken",
		record: func(d *history.Deliveries[string]) {
			seq(d, "p", "a", "b")
			d.Delivered("b")
			d.Delivered("a")
		},
		want: []history.Reordering[string]{{Producer: "p", Earlier: "a", Later: "b"}},
	}, {
		name: "sends overlapped",
		record: func(d *history.Deliveries[string]) {
			d.Sending("p", "a")
			d.Sending("p", "b") // before a's send was acknowledged
			d.Sent("a")
			d.Sent("b")
			d.Delivered("b")
			d.Delivered("a")
		},
	}, {
		name: "earlier outcome unknown",
		record: func(d *history.Deliveries[string]) {
			d.Sending("p", "a")
			d.MaybeSent("a")
			d.Sending("p", "b")
			d.Sent("b")
			d.Delivered("b")
			d.Delivered("a")
		},
	}, {
		name: "later outcome unknown",
		record: func(d *history.Deliveries[string]) {
			d.Sending("p", "a")
			d.Sent("a")
			d.Sending("p", "b")
			d.MaybeSent("b") // if taken at all, taken after a
			d.Delivered("b")
			d.Delivered("a")
		},
		want: []history.Reordering[string]{{Producer: "p", Earlier: "a", Later: "b"}},
	}, {
		name: "earlier retried",
		record: func(d *history.Deliveries[string]) {
			d.Sending("p", "a")
			d.MaybeSent("a")
			d.Sending("p", "a") // the retry that was acknowledged
			d.Sent("a")
			d.Sending("p", "b")
			d.Sent("b")
			d.Delivered("b")
			d.Delivered("a")
		},
		want: []history.Reordering[string]{{Producer: "p", Earlier: "a", Later: "b"}},
	}, {
		name: "redelivered",
		record: func(d *history.Deliveries[string]) {
			seq(d, "p", "a", "b")
			d.Delivered("a")
			d.Delivered("b")
			d.Delivered("a") // its acknowledgement was lost
		},
	}, {
		name: "other producers",
		record: func(d *history.Deliveries[string]) {
			d.Sending("p", "a")
			d.Sent("a")
			d.Sending("q", "b")
			d.Sent("b")
			d.Sent("c") // no producer: not judged
			d.Delivered("c")
			d.Delivered("b")
			d.Delivered("a")
		},
	}, {
		name: "earlier lost",
		record: func(d *history.Deliveries[string]) {
			seq(d, "p", "a", "b")
			d.Delivered("b") // a is lost, which is no breach of order
		},
	}, {
		name: "overtaken by many",
		record: func(d *history.Deliveries[string]) {
			seq(d, "p", "a", "b")
			d.Sending("p", "c")
			d.Sent("c")
			d.Delivered("c")
			d.Delivered("b")
			d.Delivered("a")
		},
		want: []history.Reordering[string]{
			{Producer: "p", Earlier: "a", Later: "c"},
			{Producer: "p", Earlier: "b", Later: "c"},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d := history.NewDeliveries[string]()
			tc.record(d)
			plain := d.Check(history.AtLeastOnce)
			err := d.Check(history.AtLeastOnce | history.InOrder)
			var de *history.DeliveryError[string]
			if errors.As(plain, &de) {
				assert.Empty(t, de.Reordered, "order is not judged unless asked for")
			}
			if tc.want == nil {
				assert.Equal(t, fmt.Sprint(plain), fmt.Sprint(err), "no breach of order")
				return
			}
			require.NoError(t, plain)
			require.True(t, errors.As(err, &de), "%v", err)
			assert.Equal(t, tc.want, de.Reordered)
		})
	}
}

func TestDeliveriesInOrderError(t *testing.T) {
	d := history.NewDeliveries[string]()
	d.Sending("p1", "p1-1")
	d.Sent("p1-1")
	d.Sending("p1", "p1-2")
	d.Sent("p1-2")
	d.Delivered("p1-2")
	d.Delivered("p1-1")
	d.Delivered("p1-1")
	err := d.Check(history.ExactlyOnce | history.InOrder)
	assert.EqualError(t, err, `history: the queue broke its promise of delivery: 1 delivered more than once, where the promise is exactly once: p1-1 (2 times); 1 delivered after a message their producer sent later, where the promise is each producer's order: p1-1 after p1-2, of producer "p1"`)
	assert.Zero(t, err.(interface{ At() time.Time }).At(), "a record without a clock names no time")

	assert.PanicsWithValue(t, "history: Deliveries.Check given Promise 4; pass history.AtLeastOnce or history.ExactlyOnce, with InOrder (history.ExactlyOnce|history.InOrder)", func() { _ = d.Check(history.InOrder) })
	noProducer := history.NewDeliveries[string]()
	noProducer.Sent("a")
	assert.PanicsWithValue(t, "history: Deliveries.Check given InOrder, but no send was recorded with Sending, which names a message's producer: call Sending(producer, m) before each send", func() { _ = noProducer.Check(history.AtLeastOnce | history.InOrder) })
	assert.NoError(t, history.NewDeliveries[string]().Check(history.AtLeastOnce|history.InOrder), "no sends, no order to keep")
}

// A record made on a clock names the times of a breach of order with the
// others', and At the first of them.
func TestDeliveriesNamesTimesOfAReordering(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	tick := func() { now = now.Add(100 * time.Millisecond) }
	d := history.NewDeliveriesOn[string](func() time.Time { return now })
	for _, m := range []string{"a", "b", "c"} {
		tick()
		d.Sending("p", m)
		tick()
		d.Sent(m)
	}
	tick()
	d.Delivered("c") // 0.700s: overtakes b
	tick()
	d.Delivered("b") // 0.800s
	tick()
	d.Delivered("b") // 0.900s
	tick()
	d.Delivered("z") // 1.000s
	tick()
	err := d.Check(history.ExactlyOnce | history.InOrder)
	assert.EqualError(t, err, `history: the queue broke its promise of delivery: `+
		`1 of the 3 messages whose send was acknowledged never delivered (lost): a (acknowledged at 0.200s); `+
		`1 delivered that no producer sent: z (delivered at 1.000s); `+
		`1 delivered more than once, where the promise is exactly once: b (2 times, at 0.800s and again at 0.900s); `+
		`1 delivered after a message their producer sent later, where the promise is each producer's order: `+
		`b (acknowledged at 0.400s, delivered at 0.800s) after c (sent at 0.500s, delivered at 0.700s), of producer "p"`)
	var de *history.DeliveryError[string]
	require.True(t, errors.As(err, &de))
	assert.Equal(t, start.Add(200*time.Millisecond), de.At(), "the first breach: a's acknowledgement")
	assert.Equal(t, start.Add(1100*time.Millisecond), de.CheckedAt())

	d.Sending("p", "a") // a retry: it changes nothing
	d.Delivered("a")
	d.Delivered("z")
	require.True(t, errors.As(d.Check(history.AtLeastOnce|history.InOrder), &de))
	assert.Equal(t, start.Add(700*time.Millisecond), de.At(), "the first breach: c's delivery, before b's and a's")
}

// A generated run of a queue with producers that send one message at a
// time or several at once: a queue that delivers each producer's
// acknowledged messages in the order of their sends, whatever it does
// with those of unknown outcome and however often it redelivers, keeps
// InOrder; one that swaps two deliveries breaks it where the swap put a
// message before one acknowledged before its send began, and the check
// names, for each message overtaken, the first that overtook it.
func TestDeliveriesInOrderFindsWhatWasSwapped(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const (
			sending = iota
			sent
			maybeSent
			delivered
		)
		type rec struct{ kind, m int }
		var producer []int // of each message
		var acked []bool
		// Each producer's sends: one may end before the next begins,
		// or after.
		var streams [][]rec
		for p := range rapid.IntRange(1, 3).Draw(t, "producers") {
			var stream []rec
			end := func(m int) rec {
				if acked[m] {
					return rec{sent, m}
				}
				return rec{maybeSent, m}
			}
			open := -1 // a send begun and not ended
			for range rapid.IntRange(0, 8).Draw(t, "messages") {
				m := len(producer)
				producer = append(producer, p)
				acked = append(acked, rapid.Float64().Draw(t, "p") < 0.8)
				stream = append(stream, rec{sending, m})
				if open >= 0 {
					stream = append(stream, end(open))
				}
				open = m
				if !rapid.Bool().Draw(t, "overlap next") {
					stream = append(stream, end(m))
					open = -1
				}
			}
			if open >= 0 {
				stream = append(stream, end(open))
			}
			streams = append(streams, stream)
		}
		var recs []rec
		for {
			var left []int
			for i, s := range streams {
				if len(s) > 0 {
					left = append(left, i)
				}
			}
			if len(left) == 0 {
				break
			}
			i := rapid.SampledFrom(left).Draw(t, "next producer")
			recs = append(recs, streams[i][0])
			streams[i] = streams[i][1:]
		}

		// The acknowledged messages in the order their sends began; those
		// of unknown outcome nowhere, or anywhere after each message its
		// producer's send of them followed; redeliveries anywhere after
		// the first; and maybe a swap.
		var deliveries []int
		begin, ack := map[int]int{}, map[int]int{}
		for n, r := range recs {
			switch {
			case r.kind == sending:
				begin[r.m] = n
				if acked[r.m] {
					deliveries = append(deliveries, r.m)
				}
			case r.kind == sent:
				ack[r.m] = n
			}
		}
		for m := range producer {
			if !acked[m] && rapid.Bool().Draw(t, "maybe delivered") {
				after := 0
				for i, a := range deliveries {
					if producer[a] == producer[m] && acked[a] && ack[a] < begin[m] {
						after = i + 1
					}
				}
				deliveries = slices.Insert(deliveries, rapid.IntRange(after, len(deliveries)).Draw(t, "at"), m)
			}
		}
		for range rapid.IntRange(0, 3).Draw(t, "redeliveries") {
			if len(deliveries) > 0 {
				i := rapid.IntRange(0, len(deliveries)-1).Draw(t, "redelivered")
				deliveries = slices.Insert(deliveries, rapid.IntRange(i+1, len(deliveries)).Draw(t, "again at"), deliveries[i])
			}
		}
		swapped := len(deliveries) > 1 && rapid.Bool().Draw(t, "swap")
		if swapped {
			i := rapid.IntRange(0, len(deliveries)-2).Draw(t, "swap")
			j := rapid.IntRange(i+1, len(deliveries)-1).Draw(t, "with")
			deliveries[i], deliveries[j] = deliveries[j], deliveries[i]
		}
		for _, m := range deliveries {
			recs = append(recs, rec{delivered, m})
		}

		d := history.NewDeliveries[int]()
		first := map[int]int{}
		for n, r := range recs {
			switch r.kind {
			case sending:
				d.Sending(fmt.Sprint("p", producer[r.m]), r.m)
			case sent:
				d.Sent(r.m)
			case maybeSent:
				d.MaybeSent(r.m)
			case delivered:
				d.Delivered(r.m)
				if _, ok := first[r.m]; !ok {
					first[r.m] = n
				}
			}
		}
		// The breaches by definition: for each message acknowledged and
		// delivered, the first delivered before it of those its producer
		// began to send after its acknowledgement.
		var want []history.Reordering[int]
		var byFirstRecord []int
		for _, r := range recs {
			if r.kind == sending {
				byFirstRecord = append(byFirstRecord, r.m)
			}
		}
		for _, a := range byFirstRecord {
			fa, delivered := first[a]
			if !acked[a] || !delivered {
				continue
			}
			later := -1
			for b := range producer {
				fb, ok := first[b]
				if producer[b] == producer[a] && begin[b] > ack[a] && ok && fb < fa && (later < 0 || fb < first[later]) {
					later = b
				}
			}
			if later >= 0 {
				want = append(want, history.Reordering[int]{Producer: fmt.Sprint("p", producer[a]), Earlier: a, Later: later})
			}
		}

		err := d.Check(history.AtLeastOnce | history.InOrder)
		if !swapped && err != nil {
			t.Fatalf("a queue that kept each producer's order: %v", err)
		}
		if len(want) == 0 {
			if err != nil {
				t.Fatalf("no breach of order, yet: %v", err)
			}
			return
		}
		var de *history.DeliveryError[int]
		if !errors.As(err, &de) {
			t.Fatalf("want a DeliveryError naming %v, got %v", want, err)
		}
		if !slices.Equal(de.Reordered, want) || len(de.Lost)+len(de.Unexpected) > 0 {
			t.Fatalf("reordered %v, want %v; lost %v, unexpected %v", de.Reordered, want, de.Lost, de.Unexpected)
		}
	})
}

// A nil clock is a programmer's error whose panic names the fix.
func TestANilClockPanicsWithItsFix(t *testing.T) {
	assert.PanicsWithValue(t, "history: NewDeliveriesOn given a nil clock; pass the clock to record on: s.Now in a simulation's body, p.Time.Now in a workload, or time.Now against real processes",
		func() { history.NewDeliveriesOn[string](nil) })
	assert.PanicsWithValue(t, "history: New given a nil clock; pass the clock to record on: s.Now in a simulation's body, p.Time.Now in a workload, or time.Now against real processes",
		func() { history.New[int, int](nil) })
}
