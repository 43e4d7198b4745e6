//go:build js && wasm

// Command wasm is the browser demo's simulation built for the browser
// (GOOS=js GOARCH=wasm). It defines moonpoolDemo.run(mode, seed), which
// runs one seed and returns a Promise of its outcome as JSON (run on a
// goroutine of its own, so that the page's event loop goes on), and
// moonpoolDemo.presets,
// then calls moonpoolDemoReady() if the page defined it, and waits.
//
// Given arguments, as under Node (go_js_wasm_exec), it runs seeds instead
// and exits: each argument mode/seed prints that seed's history, as
// serve -run prints it natively, after a line "== mode/seed"; -seeds=N
// runs stormy seeds 1 to N and prints how long they took.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/moonpool-go/moonpool/examples/browser"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(command(os.Args[1:]))
	}
	presets, err := json.Marshal(browser.Presets())
	if err != nil {
		panic(err)
	}
	run := js.FuncOf(func(_ js.Value, args []js.Value) any {
		var mode, seed string
		if len(args) == 2 {
			mode, seed = args[0].String(), args[1].String()
		}
		return js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, res []js.Value) any {
			go func() { res[0].Invoke(runJSON(len(args), mode, seed)) }()
			return nil
		}))
	})
	demo := js.Global().Get("Object").New()
	demo.Set("run", run)
	demo.Set("presets", string(presets))
	js.Global().Set("moonpoolDemo", demo)
	if ready := js.Global().Get("moonpoolDemoReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

// runJSON runs one seed and returns its outcome as JSON, or an error as
// {"error": "..."}.
func runJSON(nargs int, mode, seedText string) string {
	if nargs != 2 {
		return errJSON(`moonpoolDemo.run takes a mode and a seed, such as run("stormy", "7")`)
	}
	seed, err := strconv.ParseUint(seedText, 10, 64)
	if err != nil {
		return errJSON("the seed " + strconv.Quote(seedText) + " is not a number from 0 to 18446744073709551615")
	}
	out, err := browser.Run(browser.Mode(mode), seed)
	if err != nil {
		return errJSON(err.Error())
	}
	b, err := json.Marshal(out)
	if err != nil {
		return errJSON(err.Error())
	}
	return string(b)
}

// command runs the seeds its arguments name; see the package comment.
func command(args []string) int {
	for _, a := range args {
		if n, ok := strings.CutPrefix(a, "-seeds="); ok {
			seeds, err := strconv.Atoi(n)
			if err != nil || seeds < 1 {
				fmt.Fprintf(os.Stderr, "-seeds=%s: want a number of seeds, at least 1\n", n)
				return 2
			}
			start := time.Now()
			for seed := range seeds {
				if _, err := browser.Run(browser.Stormy, uint64(seed+1)); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return 1
				}
			}
			fmt.Printf("seeds=%d ns=%d\n", seeds, time.Since(start).Nanoseconds())
			continue
		}
		mode, seed, err := browser.ParseRun(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		out, err := browser.Run(mode, seed)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("== %s\n%s\n", a, strings.Join(out.History, "\n"))
	}
	return 0
}

func errJSON(msg string) string {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return string(b)
}
