package wasip1exec

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/wasmbuild"
)

// The cache of compiled code gains a module for every test binary the
// command runs, tens of megabytes each, and wazero removes none: a day of
// go test runs fills gigabytes. trimCompiled keeps it under a limit,
// removing the modules written longest ago first, at most once per
// trimInterval. Files whose names end in .tmp are modules being written;
// they are left alone until they are a day old, when their writer is gone.
const (
	compiledLimit = 2 << 30
	trimInterval  = time.Hour
	abandonedTmp  = 24 * time.Hour
)

// trimCompiled keeps the files under dir within limit bytes. Errors are
// ignored: trimming only saves space, and a module removed is compiled
// again when next needed.
func trimCompiled(dir string, limit int64, now time.Time) {
	if !wasmbuild.TrimDue(dir, trimInterval, now) {
		return
	}
	mark := filepath.Join(dir, "trim.txt")
	type module struct {
		path string
		size int64
		mod  time.Time
	}
	var mods []module
	var total int64
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == mark {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if strings.HasSuffix(path, ".tmp") && now.Sub(fi.ModTime()) < abandonedTmp {
			return nil
		}
		mods = append(mods, module{path, fi.Size(), fi.ModTime()})
		total += fi.Size()
		return nil
	})
	slices.SortFunc(mods, func(a, b module) int { return a.mod.Compare(b.mod) })
	for _, m := range mods {
		if total <= limit {
			return
		}
		if os.Remove(m.path) == nil {
			total -= m.size
		}
	}
}
