// Package engine stands for this module's engine, which runs the
// simulation on goroutines and watches it with the wall clock.
package engine

import "time"

var runs int

func Watch(stop chan struct{}) {
	runs++
	go func() {
		<-stop
	}()
	time.Sleep(time.Second)
}
