// Command moonpool-merge merges the -simresults files of a sweep's shards
// (go test ... -simall -simshard=i/n -simresults=dir/) into one report
// per test, the report one process running every shard's seeds would
// have written, and ends it with a verdict line:
//
//	moonpool-merge [-o file] [-junit file] [-strict] results...
//
// A directory stands for every .jsonl file below it but the timelines.
// -o writes the report to a file as well as to standard output; -junit
// writes the merged result as JUnit XML, a testcase per test, a failing
// one's message naming where its seeds failed; -strict fails a merge of
// shards built differently, which is otherwise a warning. It exits 0
// when every seed passed with no failed assertion, no coverage gap and no
// missing, cut-off or timed-out shard; 1 otherwise; 2 when the files
// cannot be merged. go run reports any failure as 1: a script that tells 1 from 2
// runs a built binary or go tool moonpool-merge. Run it with no
// arguments for the full usage; docs/sweeps.md tells the rest.
//
//simvet:production a command that reads results, never inside a simulation
package main

import (
	"os"

	"github.com/moonpool-go/moonpool/internal/mergecmd"
)

func main() { os.Exit(mergecmd.Main(os.Args[1:], os.Stdout, os.Stderr)) }
