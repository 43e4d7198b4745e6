package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// A fuzz test takes the body a Run takes. Sometimes assertions that say a
// run came close to trouble are what go test -fuzz climbs:
//
//	go test -run '^$' -fuzz '^FuzzQueue$' ./pkg
func ExampleFuzz() {
	var f *testing.F // the fuzz test's own: func FuzzQueue(f *testing.F)

	simtest.Fuzz(f, func(s *simtest.S) {
		p := s.Providers()
		queued := 0
		for i := range 3 {
			s.Go("producer", func(ctx context.Context) error {
				if err := p.Time.Sleep(ctx, time.Duration(p.Random.IntN(100))*time.Millisecond); err != nil {
					return err
				}
				queued++
				assertions.Sometimes(ctx, queued == 3 && i == 0, "the first producer comes last")
				return nil
			})
		}
		s.Sleep(time.Second)
	}, simtest.FuzzStates(64))
}
