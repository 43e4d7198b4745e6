package wasmbuild

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The cache holds one file per build key, <key>.wasm, written whole under
// a temporary name and renamed into place, so that tests and processes
// building at the same time never see part of a module. As in the go
// command's own cache, a module's modification time is when it was last
// used (updated at most once an hour), and modules unused for trimAge are
// removed, at most once a day.
const (
	trimAge      = 5 * 24 * time.Hour
	trimInterval = 24 * time.Hour
	touchAfter   = time.Hour
)

// cacheDir returns the directory built modules are kept in, making it if
// needed.
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("wasmbuild: finding a cache directory: %w; set HOME or XDG_CACHE_HOME", err)
	}
	dir := filepath.Join(base, "moonpool", "wasm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("wasmbuild: making the cache directory: %w", err)
	}
	return dir, nil
}

// used reports whether the module at path exists, marking it used.
func used(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	if now := time.Now(); now.Sub(fi.ModTime()) > touchAfter {
		os.Chtimes(path, now, now) // best effort: a module not marked is only trimmed sooner
	}
	return true
}

// trim removes modules and abandoned build directories unused for trimAge,
// if the cache was not trimmed in the last trimInterval. Errors are
// ignored: trimming only saves space.
func trim(dir string, now time.Time) {
	if !TrimDue(dir, trimInterval, now) {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".wasm") && !strings.HasPrefix(name, "build-") {
			continue
		}
		fi, err := e.Info()
		if err == nil && now.Sub(fi.ModTime()) > trimAge {
			os.RemoveAll(filepath.Join(dir, name))
		}
	}
}

// TrimDue reports whether the cache at dir was last trimmed at least
// every before now, as its file trim.txt records, and if so records a
// trim at now. A cache whose record cannot be written is trimmed each
// time.
func TrimDue(dir string, every time.Duration, now time.Time) bool {
	mark := filepath.Join(dir, "trim.txt")
	if fi, err := os.Stat(mark); err == nil && now.Sub(fi.ModTime()) < every {
		return false
	}
	if os.WriteFile(mark, nil, 0o644) == nil {
		os.Chtimes(mark, now, now)
	}
	return true
}

// The cache of compiled code (wazero's, under os.UserCacheDir()/moonpool/
// wazero) gains a module for every program and test binary run as one,
// tens of megabytes each, and wazero removes none: a day of go test runs
// fills gigabytes. TrimCompiled keeps it under a limit, removing the
// modules written longest ago first, at most once per compiledInterval:
// a walk of its few hundred files costs a millisecond, while an hour
// between trims let a morning of builds of a large server (133 MB of
// compiled code each) pile up to twice the limit.
// Files whose names end in .tmp are modules being written; they are left
// alone until they are a day old, when their writer is gone.
const (
	CompiledLimit    = 2 << 30
	compiledInterval = time.Minute
	abandonedTmp     = 24 * time.Hour
)

// TrimCompiled keeps the files under dir within limit bytes. Errors are
// ignored: trimming only saves space, and a module removed is compiled
// again when next needed.
func TrimCompiled(dir string, limit int64, now time.Time) {
	if !TrimDue(dir, compiledInterval, now) {
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
