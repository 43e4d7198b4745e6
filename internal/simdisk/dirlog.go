package simdisk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moonpool-go/moonpool/internal/plural"
)

// The namespace changes a crash can lose (chaos.Storage.LoseUnsyncedDirectories).
//
// The disk logs each namespace change in order.
// A change is durable once every directory it changed was synced after it
// (both, for a rename between two); a durable change at the front of the
// log leaves it. A crash keeps a prefix of the log, of a length it draws,
// every durable change, and every change earlier than a kept one that
// changed one of the same directories: a journal commits in order, so a
// directory never shows a later change without the earlier ones, and a
// directory removed never loses the changes that emptied it. A rename
// of a directory to another parent is kept if any later change is, and
// then with everything before it (nsChange.barrier). The crash undoes the
// rest, last first, which leaves every directory as it was after its last
// kept change: a change undone touches no directory that a kept later
// change touched.
//
// While the option is off, every change is durable at once, and the log
// only tells, at a crash, which changes a real disk could have lost: a
// store that renames without syncing the directory passes every seed
// then, and the crash's timeline entry and the Run's summary say so. The
// log keeps only the changes not yet durable, in any order, at most
// maxUnsynced of them (a store that never syncs a directory would fill
// it); past that it counts them, until a directory sync, after which it
// cannot tell which of them are durable, and counts them no more. It
// draws nothing.

// nsKind is what a namespace change did.
type nsKind uint8

const (
	nsCreate nsKind = iota
	nsMkdir
	nsRemove
	nsRename
	nsKinds // how many kinds there are
)

// nsChange is one namespace change not yet durable.
type nsChange struct {
	seq  uint64
	kind nsKind
	n    *node // the file or directory made, removed or renamed
	// from and to are the directories whose entries it changed: from
	// lost the entry fromName (remove, rename), to gained toName
	// (create, mkdir, rename); each is nil when it has no such part.
	// Each synced is set when that directory was synced after the change.
	from, to             *node
	fromName, toName     string
	fromSynced, toSynced bool
	// replaced is the file a rename replaced.
	replaced *node
	// oldPath and newPath name the change in the timeline.
	oldPath, newPath string
}

// barrier reports whether c moved a directory to another parent. Undoing
// it while keeping a later change could hang a directory under its own
// subtree (the later change may have moved the old parent into it), so a
// crash keeps it if it keeps any later change, and keeps every change
// before it if it keeps it: the directory's place changes only at a point
// where the whole log before it is kept or the whole log after it is lost.
func (c *nsChange) barrier() bool {
	return c.kind == nsRename && c.n.dir && c.from != c.to
}

func (c *nsChange) durable() bool {
	return (c.from == nil || c.fromSynced) && (c.to == nil || c.toSynced)
}

// maxUnsynced is how many changes not yet durable the log keeps while
// LoseUnsyncedDirectories is off.
const maxUnsynced = 256

// logChange records a namespace change. A file it unlinked is kept,
// pages and all, while the change may be undone (revivable).
func (d *Disk) logChange(c nsChange) {
	if !d.cfg.LoseUnsyncedDirectories && len(d.pending) >= maxUnsynced {
		d.untracked[c.kind]++
		return
	}
	d.nsSeq++
	c.seq = d.nsSeq
	if d.pending == nil {
		// Room for a save's few changes (a create, a rename, a
		// remove) before its directory sync, in one allocation.
		d.pending = make([]nsChange, 0, 4)
	}
	d.pending = append(d.pending, c)
}

// revivable marks n, about to be unlinked by a change that a crash may
// undo, so that its pages stay with it.
func (d *Disk) revivable(n *node) {
	if d.cfg.LoseUnsyncedDirectories && !n.dir {
		n.revivable = true
	}
}

// dirSynced makes dir's entries durable as of change upTo: every pending
// change up to it that changed dir counts dir as synced.
func (d *Disk) dirSynced(dir *node, upTo uint64) {
	for i := range d.pending {
		c := &d.pending[i]
		if c.seq > upTo {
			break
		}
		if c.from == dir {
			c.fromSynced = true
		}
		if c.to == dir {
			c.toSynced = true
		}
	}
	if !d.cfg.LoseUnsyncedDirectories {
		// Nothing is undone: what is durable leaves the log wherever
		// it stands, and the changes past the log's end may be durable
		// now.
		d.pending = slices.DeleteFunc(d.pending, func(c nsChange) bool { return c.durable() })
		d.untracked = [nsKinds]int{}
		return
	}
	n := 0
	for n < len(d.pending) && d.pending[n].durable() {
		d.settled(&d.pending[n])
		n++
	}
	d.dropPending(n)
}

// dropPending drops the first n pending changes.
func (d *Disk) dropPending(n int) {
	if n == 0 {
		return
	}
	rest := copy(d.pending, d.pending[n:])
	clear(d.pending[rest:])
	d.pending = d.pending[:rest]
}

// settled is a change that no crash undoes now: a file it unlinked may
// give its pages back.
func (d *Disk) settled(c *nsChange) {
	gone := c.replaced
	if c.kind == nsRemove {
		gone = c.n
	}
	if gone != nil && gone.revivable {
		gone.revivable = false
		d.releaseIfGone(gone)
	}
}

// commitNamespace makes every pending change durable: the option was
// switched on or off, or the disk stopped or is being wiped.
func (d *Disk) commitNamespace() {
	for i := range d.pending {
		d.settled(&d.pending[i])
	}
	d.dropPending(len(d.pending))
	d.untracked = [nsKinds]int{}
}

// crashNamespace is a crash's part in the namespace: it draws how long a
// prefix of the pending changes reached the disk, and undoes the changes
// neither in it nor made durable by a directory sync, nor earlier than a
// kept change to the same directory. It draws only when changes are
// pending and the option is on. With the option off it keeps them all,
// and returns what the crash's entry says of them (kept).
func (d *Disk) crashNamespace() string {
	if !d.cfg.LoseUnsyncedDirectories {
		return d.kept()
	}
	if len(d.pending) == 0 {
		return ""
	}
	k := d.w.Rand().IntN(len(d.pending) + 1)
	kept := make([]bool, len(d.pending))
	later := map[*node]bool{} // directories a kept later change touched
	anyLater := false
	for i := len(d.pending) - 1; i >= 0; i-- {
		c := &d.pending[i]
		kept[i] = i < k || c.durable() || c.from != nil && later[c.from] || c.to != nil && later[c.to] ||
			c.barrier() && anyLater
		if !kept[i] {
			continue
		}
		anyLater = true
		if c.from != nil {
			later[c.from] = true
		}
		if c.to != nil {
			later[c.to] = true
		}
		if c.kind == nsRemove && c.n.dir {
			// It emptied the directory: the changes that emptied it
			// before are kept with it.
			later[c.n] = true
		}
		if c.barrier() {
			k = max(k, i)
		}
	}
	var counts [nsKinds]int
	var lost []*nsChange
	for i := range d.pending {
		c := &d.pending[i]
		if kept[i] {
			continue
		}
		d.stats.LostDirectoryChanges++
		counts[c.kind]++
		lost = append(lost, c)
		d.event("unsynced-directory", "crash lost the %s (%s)", c.what(), c.why())
	}
	// Told before the changes are undone and dropped, which the note
	// names.
	note := lostNote(counts, lost)
	for i := len(d.pending) - 1; i >= 0; i-- {
		if !kept[i] {
			d.undo(&d.pending[i])
		}
	}
	for i := range d.pending {
		if kept[i] {
			d.settled(&d.pending[i])
		}
	}
	d.dropPending(len(d.pending))
	return note
}

// lostNote is what a crash's entry says of the namespace changes it lost,
// by kind, naming the first two, and of the files and directories that
// went with the creates and mkdirs: they leave no unsynced changes for
// the entry's counts, which a reader would take for nothing lost. ""
// when it lost none. It holds no ": ", which ends the entry's counts.
func lostNote(counts [nsKinds]int, lost []*nsChange) string {
	if len(lost) == 0 {
		return ""
	}
	kinds, named := changesTold(counts, lost, len(lost))
	it, they := "it", "it"
	if len(lost) > 1 {
		it = "them"
	}
	if counts[nsCreate]+counts[nsMkdir] > 1 {
		they = "they"
	}
	s := fmt.Sprintf("%s %s (%s) lost", kinds, unsyncedWhose, named)
	var made []string
	if n := counts[nsCreate]; n > 0 {
		made = append(made, the(n, "file", "files"))
	}
	if n := counts[nsMkdir]; n > 0 {
		made = append(made, the(n, "directory", "directories"))
	}
	if len(made) > 0 {
		s += fmt.Sprintf(", and with %s %s %s made, synced data and all", it, andList(made), they)
	}
	return s
}

// the names n things: "the file", "the 2 files".
func the(n int, one, many string) string {
	if n == 1 {
		return "the " + one
	}
	return fmt.Sprintf("the %d %s", n, many)
}

// changesTold tells n namespace changes, counted by kind in counts, as a
// crash's entry does: their kinds ("1 create and 1 rename") and the first
// two of first by name, with their kinds when they are of several, and
// how many more there are.
func changesTold(counts [nsKinds]int, first []*nsChange, n int) (kinds, named string) {
	var ks []string
	for _, k := range []nsKind{nsCreate, nsMkdir, nsRename, nsRemove} {
		if counts[k] > 0 {
			ks = append(ks, plural.Count(counts[k], kindNames[k]))
		}
	}
	mixed := len(ks) > 1
	var names []string
	for _, c := range first[:min(len(first), 2)] {
		names = append(names, c.short(mixed))
	}
	named = strings.Join(names, ", ")
	if more := n - len(names); more > 0 {
		named += fmt.Sprintf(" and %d more", more)
	}
	return andList(ks), named
}

// kept is a crash's part in the namespace while the option is off: every
// change stays, and the crash's entry tells of those a real disk could
// have lost, by kind and naming the first two. The trace does not hear
// of them: a run keeps the trace it had before crashes told of them.
func (d *Disk) kept() string {
	var counts [nsKinds]int
	n := len(d.pending)
	for i := range d.pending {
		counts[d.pending[i].kind]++
	}
	for k, u := range d.untracked {
		counts[k] += u
		n += u
	}
	if n == 0 {
		return ""
	}
	d.stats.KeptDirectoryChanges += n
	// The first two, as a crash names files (namedFiles).
	first := make([]*nsChange, 0, 2)
	for i := range d.pending[:min(len(d.pending), 2)] {
		first = append(first, &d.pending[i])
	}
	kinds, named := changesTold(counts, first, n)
	it := "it"
	if n > 1 {
		it = "them"
	}
	d.dropPending(len(d.pending))
	d.untracked = [nsKinds]int{}
	return fmt.Sprintf("%s %s (%s) %s %s (chaos.Storage.LoseUnsyncedDirectories loses such changes)",
		kinds, unsyncedWhose, named, keptNote, it)
}

// unsyncedWhose and keptNote are how a crash's entry tells of changes it
// kept that a real disk could have lost (CrashNote).
const (
	unsyncedWhose = "whose directory was not synced"
	keptNote      = "kept: a real disk could lose"
)

// CrashNote splits the message of a crash's timeline entry into the
// crash's own and its note on the namespace changes whose directory was
// not synced, kept because chaos.Storage.LoseUnsyncedDirectories is off;
// note is empty when the crash kept none. The note on changes the crash
// lost, with the option on, is cut from crash too, and not returned.
func CrashNote(msg string) (crash, note string) {
	j := strings.Index(msg, " "+unsyncedWhose+" (")
	if j < 0 {
		return msg, ""
	}
	// The note follows the crash's counts after "; "; a file the crash
	// names may hold "; " too, but only before the counts.
	i := strings.LastIndex(msg[:j], "; ")
	if i < 0 {
		return msg, ""
	}
	if !strings.Contains(msg[j:], keptNote) {
		return msg[:i], ""
	}
	return msg[:i], msg[i+2:]
}

var kindNames = [...]string{nsCreate: "create", nsMkdir: "mkdir", nsRemove: "remove", nsRename: "rename"}

// short names a change in a crash's entry: by its paths alone, or with
// its kind too when the entry tells of several kinds.
func (c *nsChange) short(kind bool) string {
	s := c.newPath
	switch c.kind {
	case nsRemove:
		s = c.oldPath
	case nsRename:
		s = c.oldPath + " -> " + c.newPath
	}
	if kind {
		s = kindNames[c.kind] + " of " + s
	}
	return s
}

// andList joins "a", "a and b", "a, b and c".
func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// what names a change for the timeline.
func (c *nsChange) what() string {
	switch c.kind {
	case nsCreate:
		return "create of " + c.newPath
	case nsMkdir:
		return "mkdir of " + c.newPath
	case nsRemove:
		return "remove of " + c.oldPath
	}
	s := fmt.Sprintf("rename of %s to %s", c.oldPath, c.newPath)
	if c.replaced != nil {
		s += ", over the file there"
	}
	return s
}

// why says which directory was not synced after c.
func (c *nsChange) why() string {
	switch {
	case c.from == nil || c.to == nil || c.from == c.to:
		return "its directory was not synced after it"
	case !c.fromSynced && !c.toSynced:
		return "neither directory was synced after it"
	case !c.fromSynced:
		return "the directory it left was not synced after it"
	}
	return "the directory it entered was not synced after it"
}

// undo takes c back, on a namespace in which every change after it that
// touched its directories is undone already, so that c's entries are as it
// left them.
func (d *Disk) undo(c *nsChange) {
	switch c.kind {
	case nsCreate, nsMkdir:
		if c.to.kids[c.toName] == c.n {
			delete(c.to.kids, c.toName)
			d.unlinkTree(c.n)
		}
	case nsRename:
		if c.to.kids[c.toName] == c.n {
			delete(c.to.kids, c.toName)
		}
		if t := c.replaced; t != nil {
			c.to.kids[c.toName] = t
			t.unlinked, t.revivable = false, false
		}
		fallthrough
	case nsRemove:
		c.from.kids[c.fromName] = c.n
		c.n.unlinked, c.n.revivable = false, false
	}
}

// unlinkTree unlinks n and, for a directory, everything under it: a
// directory whose creation was lost takes what was made in it along.
func (d *Disk) unlinkTree(n *node) {
	for _, k := range n.kids {
		d.unlinkTree(k)
	}
	d.unlink(n)
}
