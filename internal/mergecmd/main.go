package mergecmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moonpool-go/moonpool/simtest"
)

const usage = `usage: moonpool-merge [-o file] [-junit file] [-strict] results...

moonpool-merge merges the -simresults files of a sweep's shards (go test
... -simall -simshard=i/n -simresults=dir/) into one report per test: the
seeds run, passed and failed, the trace hash, the assertion table, and
every failing seed with its replay line, as one process running all the
shards' seeds would have reported them. A directory stands for every
.jsonl file below it but the timelines (-simtimeline) written there too.
The report ends with a verdict line: the tests merged, how many fail and
why, and the seeds run and failed.

It exits 0 when every seed passed with no failed assertion, no gap in
assertion coverage and no missing shard; 1 otherwise, and when a shard's
file was cut off before its summary (its go test killed) or a shard
stopped at its go test -timeout short of its seeds, and, with -strict,
when the shards' test binaries were built differently (another Go,
module version, commit or source); 2 when the files cannot be merged.

Flags may come before or after the results; after "--", every argument
is a result.

Flags:
`

// Main runs the command with args (without the program's name), writes
// to stdout and stderr, and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("moonpool-merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	out := fs.String("o", "", "write the report to this `file` as well as to standard output;\n\"-\" is standard output alone (./- names a file called -)")
	strict := fs.Bool("strict", false, "fail the merge (exit 1) when the shards' test binaries were built differently, which is\notherwise a warning: their seeds may have run other code")
	junitOut := fs.String("junit", "", "write the merged result as JUnit XML to this `file`, for CI's test view: a testcase per test;\na failing one's message naming where its seeds failed, its body starting with a replay line for each place\nand the first 100 failing seeds; not \"-\", as standard output has the report")
	// Package flag stops at the first argument that is not a flag; the
	// command takes its flags after the results too, parsing on past each
	// path, up to a "--", after which every argument is a path.
	var paths []string
	for rest := args; len(rest) > 0; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if n := len(rest) - fs.NArg(); n > 0 && rest[n-1] == "--" {
			paths = append(paths, fs.Args()...)
			break
		}
		rest = fs.Args()
		if len(rest) > 0 {
			paths, rest = append(paths, rest[0]), rest[1:]
		}
	}
	if len(paths) == 0 {
		fs.Usage()
		return 2
	}
	if *junitOut == "-" {
		// Standard output has the report: XML mixed into it would serve
		// neither reader.
		fmt.Fprintln(stderr, `moonpool-merge: -junit - would mix the XML into the report on standard output; name a file, such as -junit junit.xml (./- names a file called -)`)
		return 2
	}
	sw, err := simtest.MergeResults(paths...)
	if err != nil {
		fmt.Fprintf(stderr, "moonpool-merge: %v\n", strings.TrimPrefix(err.Error(), "simtest: "))
		return 2
	}
	report := sw.String() + "\n\n" + verdict(sw, *strict) + "\n"
	fmt.Fprint(stdout, report)
	// "-" names standard output, as for most commands, where the report
	// is written already: a script that passes its output path through
	// writes no file called "-".
	if *out != "" && *out != "-" {
		if err := os.WriteFile(*out, []byte(report), 0o666); err != nil {
			fmt.Fprintf(stderr, "moonpool-merge: writing the report: %v\n", err)
			return 2
		}
	}
	if *junitOut != "" {
		x, err := junit(sw, *strict)
		if err == nil {
			err = os.WriteFile(*junitOut, x, 0o666)
		}
		if err != nil {
			fmt.Fprintf(stderr, "moonpool-merge: writing the JUnit XML: %v\n", err)
			return 2
		}
	}
	for _, t := range sw.Tests {
		if len(failures(t, *strict)) > 0 {
			return 1
		}
	}
	return 0
}
