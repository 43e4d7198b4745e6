package chanrule

import (
	"context"

	"github.com/moonpool-go/moonpool/providers"
)

func Native(ctx context.Context) {
	ch := make(chan int, 1) // want `native channel type: its operations block outside the simulation; use providers.NewChan.*; or, if it never waits in a simulation, //simvet:allow chan <reason>$`
	ch <- 1                 // want `send on a native channel blocks outside the simulation`
	v := <-ch               // want `receive from a native channel .*//simvet:allow chan <reason>; for ctx.Done\(\)`
	_ = v
	select { // want `^chan: select on native channels blocks outside the simulation, and when several of its cases are ready it picks one at random, which no seed decides, even with a default; use providers.Select\(ctx, providers.OnRecv\(...\), providers.OnSend\(...\), ...\), which draws its pick from the run's stream$`
	case <-ctx.Done():
	case x := <-ch:
		_ = x
		ch <- 2 // want `send on a native channel`
	}
	for range ch { // want `range over a native channel`
	}
	close(ch)    // want `close of a native channel`
	<-ctx.Done() // want `^chan: receive from a native channel blocks outside the simulation; use providers.NewChan\(p.Task, n\) with Send\(ctx, v\) and Recv\(ctx\), and providers.Select; for ctx.Done\(\), providers.Wait\(ctx, p.Task\) waits for ctx's end, and any provider call given ctx returns ctx.Err\(\)$`
}

func Param(done <-chan struct{}) {} // want `native channel type`

// Two ready channels: the select picks one at random though it never
// waits, so no allow is offered; one channel beside a default picks
// nothing.
func Ready(a, b chan int) int { // want `native channel type`
	select { // want `select on native channels blocks outside the simulation, and when several of its cases are ready it picks one at random, which no seed decides, even with a default`
	case v := <-a:
		return v
	case v := <-b:
		return v
	default:
	}
	select { // want `^chan: select on native channels blocks outside the simulation; use providers.Select\(ctx, providers.OnRecv\(...\), providers.OnSend\(...\), ...\); or, if it never waits in a simulation, //simvet:allow chan <reason>$`
	case v := <-a:
		return v
	default:
		return 0
	}
}

// The providers' channel is fine.
func Provided(ctx context.Context, p providers.Providers) error {
	ch := providers.NewChan[int](p.Task, 1)
	return ch.Send(ctx, 1)
}

// Allowed with a reason.
func Allowed() {
	//simvet:allow chan a buffered hand-off within one task, never blocks
	ch := make(chan int, 1)
	_ = ch
}
