//go:build js && wasm

// Command wasm is the browser demo's simulation built for the browser
// (GOOS=js GOARCH=wasm). It defines moonpoolDemo.run(mode, seed), which
// runs one seed and returns a Promise of its outcome as JSON (run on a
// goroutine of its own, so that the page's event loop goes on), and
// moonpoolDemo.presets,
// then calls moonpoolDemoReady() if the page defined it, and waits.
package main

import (
	"encoding/json"
	"strconv"
	"syscall/js"

	"github.com/moonpool-go/moonpool/examples/browser"
)

func main() {
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

func errJSON(msg string) string {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return string(b)
}
