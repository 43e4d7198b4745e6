// Package order prints the order in which yielding goroutines run, for the
// go test -exec test.
package order

import (
	"runtime"
	"sync"
	"testing"
)

func TestOrder(t *testing.T) {
	var wg sync.WaitGroup
	var order []int
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				runtime.Gosched()
				order = append(order, i) // one P: no two goroutines run at once
			}
		}()
	}
	wg.Wait()
	t.Log("order", order)
}
