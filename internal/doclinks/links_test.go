package doclinks

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
	var out []string
	for _, l := range fragmentLinks(t, name) {
		if l.file != name {
			out = append(out, l.file)
		}
	}
	return out
}

// A target is where a relative link points: a file, and a heading's anchor
// in it or "".
type target struct{ file, anchor string }

// fragmentLinks returns the targets of the relative links in the Markdown
// file at name, outside code blocks; a link to "#anchor" targets name.
func fragmentLinks(t *testing.T, name string) []target {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	var out []target
	for _, m := range link.FindAllStringSubmatch(fence.ReplaceAllString(string(b), ""), -1) {
		l := m[1]
		if strings.Contains(l, "://") || strings.HasPrefix(l, "mailto:") {
			continue
		}
		file, anchor, _ := strings.Cut(l, "#")
		if file == "" {
			out = append(out, target{name, anchor})
			continue
		}
		out = append(out, target{filepath.Join(filepath.Dir(name), file), anchor})
	}
	return out
}

var (
	heading    = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t#]*$`)
	linkText   = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	htmlAnchor = regexp.MustCompile(`<a (?:name|id)="([^"]+)"`)
	notInSlug  = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
)

// anchors returns the anchors of the Markdown file at name: each heading's,
// as GitHub makes them (the text lower-cased, punctuation dropped, spaces
// made hyphens, a repeated one numbered), and those of HTML anchors.
func anchors(t *testing.T, name string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	text := fence.ReplaceAllString(string(b), "")
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(text, -1) {
		h := linkText.ReplaceAllString(m[1], "$1")
		slug := strings.ReplaceAll(notInSlug.ReplaceAllString(strings.ToLower(h), ""), " ", "-")
		if n := seen[slug]; n > 0 {
			out[slug+"-"+strconv.Itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	for _, m := range htmlAnchor.FindAllStringSubmatch(text, -1) {
		out[m[1]] = true
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

func TestAnchorsResolve(t *testing.T) {
	cache := map[string]map[string]bool{}
	for _, f := range markdownFiles(t) {
		for _, l := range fragmentLinks(t, f) {
			if l.anchor == "" || !strings.HasSuffix(l.file, ".md") {
				continue // a file, or a line of source (#L10)
			}
			if _, err := os.Stat(l.file); err != nil {
				continue // TestRelativeLinksResolve says so
			}
			if cache[l.file] == nil {
				cache[l.file] = anchors(t, l.file)
			}
			assert.True(t, cache[l.file][l.anchor], "%s links to %s#%s, which has no such heading; link to a heading's anchor as GitHub makes it", f, l.file, l.anchor)
		}
	}
}

func TestAnchorsAreGitHubs(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.md")
	require.NoError(t, os.WriteFile(name, []byte("# Title\n\n## When a process's error fails the seed, and when it is a crash\n\n"+
		"```\n## Not a heading\n```\n\n### `S` keeps [testing.TB](x.md)'s promises ##\n\n## Title\n\n<a id=\"custom\"></a>\n"), 0o666))
	got := anchors(t, name)
	assert.Equal(t, map[string]bool{
		"title": true,
		"when-a-processs-error-fails-the-seed-and-when-it-is-a-crash": true,
		"s-keeps-testingtbs-promises":                                 true,
		"title-1":                                                     true,
		"custom":                                                      true,
	}, got)
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
