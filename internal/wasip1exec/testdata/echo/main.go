// Command echo prints what a run under moonpool-wasip1-exec sees: its
// arguments, an environment variable, a file in its working directory, the
// time, random numbers and the order of goroutines; it exits with the code
// in its first argument.
package main

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"time"
)

func main() {
	fmt.Println("args", os.Args[1:])
	fmt.Println("env", os.Getenv("ECHO_VALUE"))
	b, err := os.ReadFile("input.txt")
	fmt.Printf("file %q %v\n", b, err)
	start := time.Now()
	time.Sleep(time.Hour)
	fmt.Println("slept", time.Since(start).Round(time.Second), start.UTC().Year())
	var buf [4]byte
	rand.Read(buf[:])
	fmt.Println("random", mrand.Uint64(), buf)
	m := map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true}
	for k := range m {
		fmt.Print(k)
	}
	fmt.Println()
	code, _ := strconv.Atoi(os.Args[1])
	os.Exit(code)
}
