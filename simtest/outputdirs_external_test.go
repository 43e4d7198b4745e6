package simtest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// outputFile is an option that writes one of a Run's files, with the flag
// that does the same and how an error names it.
type outputFile struct {
	flag, what string
	option     func(path string) simtest.Option
}

func outputFiles() []outputFile {
	return []outputFile{
		{"-simresults", "the results (-simresults, ResultsFile)", simtest.ResultsFile},
		{"-simcover", "the assertion coverage profile (-simcover, CoverProfile)", simtest.CoverProfile},
		{"-simjson", "the JSON report (-simjson, JSONReport)", simtest.JSONReport},
		{"-simtimeline", "the timeline (-simtimeline, TimelineFile)", simtest.TimelineFile},
		{"-simhtml", "the HTML timeline (-simhtml, TimelineHTML)", simtest.TimelineHTML},
	}
}

// TestOutputDirectoryThatCannotBeMadeFailsFirst: a file the Run would
// write where no directory can be made (under a plain file) fails the
// test before its first seed, not after its last.
func TestOutputDirectoryThatCannotBeMadeFailsFirst(t *testing.T) {
	for _, f := range outputFiles() {
		t.Run(f.flag, func(t *testing.T) {
			blocker := filepath.Join(t.TempDir(), "file")
			require.NoError(t, os.WriteFile(blocker, nil, 0o666))
			path := filepath.Join(blocker, "sub", "out.x")
			ran := 0
			r := runIn("TestOutput", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) { ran++ }, simtest.Seeds(3), f.option(path))
			})
			require.True(t, r.fatal, r.output())
			assert.Zero(t, ran, "no seed runs")
			assert.Contains(t, r.output(), "simtest: "+f.what+" goes to "+path+", whose directory cannot be made (mkdir "+blocker+": not a directory); name a file in a directory that exists or that the test can make")
		})
	}
}

// TestOutputDirectoryIsMade: a file the Run writes in a directory that does
// not exist yet is written there, the directory made, as -simresults has
// always done.
func TestOutputDirectoryIsMade(t *testing.T) {
	for _, f := range outputFiles() {
		t.Run(f.flag, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a", "b", "out.x")
			r := runIn("TestOutput", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) {}, simtest.Seeds(2), f.option(path))
			})
			require.False(t, r.failed, r.output())
			assert.FileExists(t, path)
		})
	}
}

// TestRunsEndingAtOnceTakeAFileEach: Runs that end at once (parallel
// subtests) given one file each write a file of their own, the first
// to take the path writing it, the others beside it.
func TestRunsEndingAtOnceTakeAFileEach(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	const runs = 8
	outs := make([]string, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			outs[i] = runIn(fmt.Sprintf("TestTable/case%d", i), func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) {}, simtest.Seeds(1), simtest.JSONReport(path))
			}).output()
		})
	}
	wg.Wait()
	written := map[string]bool{}
	for _, out := range outs {
		_, after, ok := strings.Cut(out, "simtest: wrote the JSON report to ")
		require.True(t, ok, out)
		file, _, _ := strings.Cut(after, "\n")
		assert.False(t, written[file], "%s written twice", file)
		written[file] = true
		assert.FileExists(t, file)
	}
	assert.True(t, written[path], "one Run writes the file itself")
}
