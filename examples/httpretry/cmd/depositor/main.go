// Command depositor makes deposits into a ledger with
// [httpretry.Client], retrying each with the same idempotency key, and
// prints a line per deposit:
//
//	depositor -server http://ledger:8080 -account alice -n 10
//
// prints "ok <key> <amount> <balance>" for each deposit the ledger
// answered, "failed <key> <amount> <error>" for each it gave up on, and
// "done" at the end.
//
//simvet:production a wasip1 program: the host simulates its goroutines, clock, network and disk
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/moonpool-go/moonpool/examples/httpretry"
)

func main() {
	server := flag.String("server", "http://localhost:8080", "the ledger's URL")
	account := flag.String("account", "alice", "the account to deposit into")
	n := flag.Int("n", 10, "how many deposits to make")
	pause := flag.Duration("pause", 50*time.Millisecond, "the longest pause between deposits")
	flag.Parse()

	c := &httpretry.Client{Base: *server}
	for range *n {
		key, amount := httpretry.NewKey(), 1+rand.IntN(100)
		b, err := c.Deposit(context.Background(), key, *account, amount)
		if err != nil {
			fmt.Printf("failed %s %d %v\n", key, amount, err)
		} else {
			fmt.Printf("ok %s %d %d\n", key, amount, b.Balance)
		}
		if *pause > 0 {
			time.Sleep(rand.N(*pause))
		}
	}
	fmt.Println("done")
	os.Exit(0)
}
