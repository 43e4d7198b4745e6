package simtest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/internal/plural"
)

// A failing branched timeline is kept beside the kept seeds, in a file
// named for its recipe: "recipe-" and the recipe with "/" written "_" and
// ":" written "-", which every file system takes. Plain Runs pass over
// these files (their names are not seeds), saying so (passOverRecipes);
// an exploring Run runs them, and the kept seeds, before it explores.
const recipePrefix = "recipe-"

// recipeFile is the name of the file that keeps r. A deep recipe is too
// long for a file name (file systems take up to 255 bytes, and a branch
// point takes up to 41), so a name longer than maxEscaped is the root
// seed, '~' and a hash of the recipe instead, and the recipe is read from
// the file's recipeLine.
func recipeFile(r explore.Recipe) string {
	name := recipePrefix + strings.NewReplacer("/", "_", ":", "-").Replace(r.String())
	if len(name) <= maxEscaped {
		return name
	}
	sum := sha256.Sum256([]byte(r.String()))
	return fmt.Sprintf("%s%d~%s", recipePrefix, r.Seed, hex.EncodeToString(sum[:16]))
}

// recipeLine starts the line of a kept recipe's file that holds the
// recipe whole.
const recipeLine = "# recipe: "

// recipeIn reads the recipe of the kept file at path from its recipeLine.
func recipeIn(path string) (explore.Recipe, error) {
	f, err := os.Open(path)
	if err != nil {
		return explore.Recipe{}, fmt.Errorf("its recipe cannot be read: %w", err)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		if text, ok := strings.CutPrefix(lines.Text(), recipeLine); ok {
			return explore.ParseRecipe(text)
		}
	}
	if err := lines.Err(); err != nil {
		return explore.Recipe{}, fmt.Errorf("its recipe cannot be read: %w", err)
	}
	return explore.Recipe{}, fmt.Errorf("its name is a hash and it holds no %q line with the recipe", recipeLine)
}

// keptRecipes returns the recipes kept for the test called name, in the
// order of their file names.
func keptRecipes(name string) ([]explore.Recipe, error) {
	dir := keepPath(name)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("simtest: the kept recipes in %s cannot be read, so they would not run: %w; "+
			"make the directory readable, or remove it to drop them", dir, err)
	}
	var out []explore.Recipe
	for _, e := range entries {
		text, ok := strings.CutPrefix(e.Name(), recipePrefix)
		if !ok || e.IsDir() {
			continue
		}
		var r explore.Recipe
		var err error
		if strings.Contains(text, "~") {
			r, err = recipeIn(filepath.Join(dir, e.Name()))
		} else {
			r, err = explore.ParseRecipe(strings.NewReplacer("_", "/", "-", ":").Replace(text))
		}
		if err != nil {
			return nil, fmt.Errorf("simtest: the kept recipe %s: %w; delete the file", filepath.Join(dir, e.Name()), err)
		}
		out = append(out, r)
	}
	return out, nil
}

// keepRecipe keeps the failing timeline rec of the test called name, as
// keepSeed keeps a seed: with the trace of the run that failed, which a
// later run of the recipe compares its own with (keptRecipeRan).
func keepRecipe(name string, rec explore.Recipe, trace uint64, why, replay string) (string, bool, error) {
	dir := keepPath(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("simtest: keeping timeline %s: %w", rec, err)
	}
	path := filepath.Join(dir, recipeFile(rec))
	if fileExists(path) {
		return path, false, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# This exploration timeline failed %s; simtest runs it first on every exploring run of the test.\n# It failed with:\n", name)
	for _, line := range strings.Split(strings.TrimRight(why, "\n"), "\n") {
		fmt.Fprintf(&b, "#   %s\n", line)
	}
	fmt.Fprintf(&b, "# replay: %s\n%s%016x\n%s%s\n", replay, traceLine, trace, recipeLine, rec)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", false, fmt.Errorf("simtest: keeping timeline %s: %w", rec, err)
	}
	return path, true, nil
}

// keptTimelines is what an exploring Run runs before it explores: the
// test's kept seeds and kept recipes.
func (r *runner) keptTimelines() []explore.Recipe {
	r.t.Helper()
	if r.outside || r.cfg.shard > 0 {
		return nil
	}
	seeds, err := keptSeeds(r.t.Name())
	if err != nil {
		r.t.Error(err)
	}
	recipes, err := keptRecipes(r.t.Name())
	if err != nil {
		r.t.Error(err)
	}
	r.kept = seeds // the roots pass over them (roots)
	var out []explore.Recipe
	for _, s := range seeds {
		out = append(out, explore.Recipe{Seed: s})
	}
	out = append(out, recipes...)
	if len(out) > 0 {
		r.t.Logf("simtest: running %s kept from earlier failures first (%s)", plural.Count(len(out), "timeline"), keepPath(r.t.Name()))
	}
	return out
}

// passOverRecipes tells a plain Run of the test's kept recipes, which
// only an exploring run runs: a failing timeline kept by an exploration
// guards nothing in a plain go test, and the line says how to run it. The
// command carries the flags the recipes failed under, when their replay
// lines agree on them, else this run's.
func (r *runner) passOverRecipes() {
	r.t.Helper()
	dir := keepPath(r.t.Name())
	recipes, err := keptRecipes(r.t.Name())
	if err != nil || len(recipes) == 0 {
		return // an exploring run reports a recipe it cannot read
	}
	rp := newReplayer()
	then, agree := "", true
	for i, rec := range recipes {
		flags, ok := replayFlags(filepath.Join(dir, recipeFile(rec)), "-simrecipe="+rec.String())
		if i == 0 {
			then = flags
		}
		agree = agree && ok && flags == then
	}
	if agree {
		rp.flags, rp.build = strings.Fields(then), nil
	}
	what, them := fmt.Sprintf("the kept recipe %s, a timeline that failed an exploration", filepath.Join(dir, recipeFile(recipes[0]))), "it"
	if len(recipes) > 1 {
		what, them = fmt.Sprintf("the %d kept recipes in %s, timelines that failed explorations", len(recipes), dir), "them"
	}
	r.t.Logf("simtest: this plain run passes over %s; an exploring run runs %s first: %s", what, them, rp.line(r.t.Name(), "-simexplore"))
}

// keepTimeline keeps the Run's failing timeline when it is a branched
// one, and reports whether it was; a root seed is kept as a seed.
func (r *runner) keepTimeline(trace uint64, why, replay string) bool {
	r.t.Helper()
	if r.exp == nil || len(r.exp.current.Branches) == 0 {
		return false
	}
	path, wrote, err := keepRecipe(r.t.Name(), r.exp.current, trace, why, replay)
	switch {
	case err != nil:
		r.t.Log(err)
	case wrote:
		r.t.Logf("simtest: kept timeline %s in %s: every exploring run of the test runs it first; delete the file once the bug is fixed (-simkeep=false keeps none)", r.exp.current, path)
	}
	return true
}

// keptRecipeRan tells the test what the run of a kept recipe says of it,
// as keptRan does of a kept seed's, through the same comparison with the
// trace its file records. A recipe that branches past the end of its run
// is reported by staleKept, and a file an earlier version wrote records
// no trace: of those it says only what it can.
func (r *runner) keptRecipeRan(o *seedOutcome) {
	r.t.Helper()
	rec := o.tl.rec
	if _, past := pastRun(rec, o.tl.draws); past {
		return
	}
	r.tellKept(o, "timeline "+rec.String(), filepath.Join(keepPath(r.t.Name()), recipeFile(rec)), "-simrecipe="+rec.String(),
		"one draw more or less before a branch point moves every decision after it", true)
}
