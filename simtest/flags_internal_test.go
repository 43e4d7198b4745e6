package simtest

import (
	"flag"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlagsAreOnlyATestBinarysOwn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a command")
	}
	out, err := exec.Command("go", "run", "./testdata/flagless").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "done\n", string(out), "a command that imports simtest takes none of its flags")
}

func TestDocListsEveryFlag(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^//\t-(sim\w+)`).FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	var own []string
	flag.VisitAll(func(f *flag.Flag) {
		if isOwnFlag(f.Name) {
			own = append(own, f.Name)
			assert.True(t, documented[f.Name], "doc.go's flag table lists -%s", f.Name)
		}
	})
	assert.Len(t, own, 25, "every flag isOwnFlag names is registered")
	for name := range documented {
		assert.True(t, slices.Contains(own, name), "doc.go lists -%s, which is not a flag", name)
	}
	assert.Contains(t, string(doc), seedsEnv)

	// The README's list of flags, the first a reader sees, names each too.
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	for _, name := range own {
		assert.Regexp(t, "`-"+name+`\b`, string(readme), "README.md's flags name -%s", name)
	}
}

func TestReplayLineKeepsUserFlagsThatStartWithSim(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	registerFlags(fs)
	fs.Bool("simulated-users", false, "a test's own flag")
	require.NoError(t, fs.Parse([]string{"-simulated-users", "-simv", "-simseed=3"}))
	flags := userFlags(fs)
	assert.Contains(t, flags, "-simulated-users", "a flag of the test's that starts with sim")
	assert.Equal(t, []string{"-simulated-users"}, flags, "this package's flags are not repeated")
}

func TestSeedsFromTheEnvironment(t *testing.T) {
	t.Setenv(seedsEnv, "7")
	c, err := resolve(false, commandLine(), nil)
	require.NoError(t, err)
	assert.Equal(t, 7, c.seeds)

	c, err = resolve(false, commandLine(), []Option{Seeds(3)})
	require.NoError(t, err)
	assert.Equal(t, 7, c.seeds, "like -simseeds, the variable wins over the option")

	c, err = resolve(false, flags{replays: []uint64{3}}.withEnv(), nil)
	require.NoError(t, err, "a replay line runs as printed where the variable is set")
	assert.Equal(t, []uint64{3}, c.replays)
	c, err = resolve(false, flags{recipe: "42/10:7"}.withEnv(), nil)
	require.NoError(t, err, "a timeline's replay line runs as printed where the variable is set")
	assert.Equal(t, "42/10:7", c.recipe.String())
	_, err = resolve(false, flags{replays: []uint64{3}, seeds: 5}.withEnv(), nil)
	assert.ErrorContains(t, err, "-simseed replays the seeds it names and -simseeds asks for 5", "the flags given together are still an error")

	t.Setenv(seedsEnv, "lots")
	_, err = resolve(false, commandLine(), nil)
	assert.EqualError(t, err, `simtest: $MOONPOOL_SEEDS is "lots"; set it to a positive number of seeds, such as 1000, or unset it`)
}
