package mergecmd_test

import (
	"fmt"
	"io"
	"os"

	"github.com/moonpool-go/moonpool/internal/mergecmd"
)

// With no results to merge, the command prints its usage and exits 2.
func ExampleMain() {
	code := mergecmd.Main(nil, io.Discard, os.Stdout)
	fmt.Println("exit", code)
	// Output:
	// usage: moonpool-merge [-o file] [-junit file] [-strict] results...
	//
	// moonpool-merge merges the -simresults files of a sweep's shards (go test
	// ... -simall -simshard=i/n -simresults=dir/) into one report per test: the
	// seeds run, passed and failed, the trace hash, the assertion table, and
	// every failing seed with its replay line, as one process running all the
	// shards' seeds would have reported them. A directory stands for every
	// .jsonl file below it but the timelines (-simtimeline) written there too.
	// The report ends with a verdict line: the tests merged, how many fail and
	// why, and the seeds run and failed.
	//
	// It exits 0 when every seed passed with no failed assertion, no gap in
	// assertion coverage and no missing shard; 1 otherwise, and when a shard's
	// file was cut off before its summary (its go test killed) or a shard
	// stopped at its go test -timeout short of its seeds, and, with -strict,
	// when the shards' test binaries were built differently (another Go,
	// module version, commit or source); 2 when the files cannot be merged.
	//
	// Flags may come before or after the results; after "--", every argument
	// is a result.
	//
	// Flags:
	//   -junit file
	//     	write the merged result as JUnit XML to this file, for CI's test view: a testcase per test;
	//     	a failing one's message naming where its seeds failed, its body starting with a replay line for each place
	//     	and the first 100 failing seeds; not "-", as standard output has the report
	//   -o file
	//     	write the report to this file as well as to standard output;
	//     	"-" is standard output alone (./- names a file called -)
	//   -strict
	//     	fail the merge (exit 1) when the shards' test binaries were built differently, which is
	//     	otherwise a warning: their seeds may have run other code
	// exit 2
}
