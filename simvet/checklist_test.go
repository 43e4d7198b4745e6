package simvet_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simvet"
)

var update = flag.Bool("update", false, "rewrite docs/simvet.md's checklist from the rules")

const (
	docPath    = "../docs/simvet.md"
	beginMark  = "<!-- checklist: generated from simvet's rules by go generate ./simvet; edit simvet/doc.go -->\n"
	endMark    = "<!-- end of checklist -->\n"
	missingDoc = "docs/simvet.md has no checklist markers"
)

// checklist is docs/simvet.md's rule section, written from the analyzers'
// names and Doc: a line per rule to tick, then each rule's text.
func checklist() string {
	var b strings.Builder
	for _, a := range simvet.Analyzers {
		summary, _, _ := strings.Cut(a.Doc, "\n")
		b.WriteString("- [ ] [`" + a.Name + "`](#" + a.Name + "): " + summary + "\n")
	}
	for _, a := range simvet.Analyzers {
		summary, body, _ := strings.Cut(a.Doc, "\n")
		b.WriteString("\n### " + a.Name + "\n\n")
		b.WriteString("*" + summary + ".*\n")
		for _, line := range strings.Split(body, "\n") {
			if rest, ok := strings.CutPrefix(line, "\t"); ok {
				line = "    " + rest
			}
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	return b.String()
}

// TestChecklist fails when docs/simvet.md's checklist and the rules
// differ; go generate ./simvet (go test -run TestChecklist -update)
// rewrites it.
func TestChecklist(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	require.NoError(t, err)
	before, rest, ok := strings.Cut(string(doc), beginMark)
	require.True(t, ok, missingDoc)
	old, after, ok := strings.Cut(rest, endMark)
	require.True(t, ok, missingDoc)
	want := checklist()
	if *update {
		require.NoError(t, os.WriteFile(docPath, []byte(before+beginMark+want+endMark+after), 0o644))
		return
	}
	if diff := cmp.Diff(want, old); diff != "" {
		t.Errorf("docs/simvet.md's checklist differs from the rules (-rules +doc); run go generate ./simvet:\n%s", diff)
	}
}

// Every rule's text starts with a one-line summary, and the names that a
// //simvet:allow directive may give are the analyzers'.
func TestRuleTexts(t *testing.T) {
	var names []string
	for _, a := range simvet.Analyzers {
		names = append(names, a.Name)
		summary, body, ok := strings.Cut(a.Doc, "\n\n")
		require.True(t, ok, "%s's Doc needs a summary line, a blank line, then the text", a.Name)
		require.NotContains(t, summary, "\n", "%s's summary is one line", a.Name)
		require.NotEmpty(t, body)
	}
	require.Equal(t, names, simvet.RuleNames())
}

// testingt's text says what a run does with the test's T in a task as the
// simtest package doc does: a FailNow there ends the seed.
func TestTestingtAgreesWithSimtest(t *testing.T) {
	words := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n//", "\n")), " ") }
	pkgDoc, err := os.ReadFile(filepath.Join("..", "simtest", "doc.go"))
	require.NoError(t, err)
	require.Contains(t, words(string(pkgDoc)), "Calling FailNow on the test's own testing.T from a task also works: the world is torn down, then the test stops")
	doc := words(simvet.Testingt.Doc)
	assert.Contains(t, doc, "A FailNow from a task (t.Fatal, require given t) tears the seed down and stops the test")
	assert.NotContains(t, doc, "does not end the seed")
}
