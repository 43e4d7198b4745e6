// Command gosched prints the order in which goroutines that only yield get
// to run; the scheduler tests run it under many seeds.
package main

import (
	"fmt"
	"runtime"
	"sync"
)

func main() {
	const n, rounds = 8, 3
	var wg sync.WaitGroup
	var order []int
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				runtime.Gosched()
				order = append(order, i) // one P: no two goroutines run at once
			}
		}()
	}
	wg.Wait()
	fmt.Println(order)
}
