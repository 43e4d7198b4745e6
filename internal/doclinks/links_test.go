package doclinks

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// root is the module root, seen from this package's directory.
const root = "../.."

var (
	fence = regexp.MustCompile("(?s)```.*?```")
	link  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
)

// relativeLinks returns the targets of the relative links in the Markdown
// file at name, outside code blocks, each resolved against name's directory
// and without its #fragment.
func relativeLinks(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	var out []string
	for _, m := range link.FindAllStringSubmatch(fence.ReplaceAllString(string(b), ""), -1) {
		l := m[1]
		if strings.Contains(l, "://") || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "mailto:") {
			continue
		}
		l, _, _ = strings.Cut(l, "#")
		out = append(out, filepath.Join(filepath.Dir(name), l))
	}
	return out
}

func markdownFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && p != root) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func TestRelativeLinksResolve(t *testing.T) {
	for _, f := range markdownFiles(t) {
		for _, target := range relativeLinks(t, f) {
			_, err := os.Stat(target)
			assert.NoError(t, err, "%s links to %s, which does not exist; fix the link or restore the file", f, target)
		}
	}
}

func TestEveryChapterIsLinked(t *testing.T) {
	linked := map[string]bool{}
	for _, f := range []string{filepath.Join(root, "README.md"), filepath.Join(root, "docs", "architecture.md")} {
		for _, target := range relativeLinks(t, f) {
			linked[target] = true
		}
	}
	chapters, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, chapters)
	for _, c := range chapters {
		if filepath.Base(c) == "architecture.md" {
			continue
		}
		assert.True(t, linked[c], "%s is linked from neither README.md nor docs/architecture.md; add it to the docs row of README's layout table", c)
	}
}
