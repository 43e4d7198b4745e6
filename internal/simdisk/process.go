package simdisk

import "github.com/moonpool-go/moonpool/providers"

// Process is one process's use of a disk. The files it opens through
// [Process.Storage] are its own, and [Process.Exit] closes those it left
// open, as the death of a process closes its descriptors on Linux: a
// removed file that only they held frees its space then. Processes that
// share a machine share its disk, each through a Process of its own, and
// the death of one leaves the others' files working.
type Process struct {
	d *Disk
	// open is the files it opened and has not closed, linked through
	// file.prev and file.next: an open adds one without allocating.
	open   *file
	exited bool
}

// Process returns the use of the disk by a process that starts now.
func (d *Disk) Process() *Process { return &Process{d: d} }

// Storage returns the disk as a providers.Storage whose files belong to
// p.
func (p *Process) Storage() providers.Storage { return storage{d: p.d, p: p} }

// Exit closes the files p left open, when its process dies or ends: they
// fail from then on with an error matching fs.ErrClosed, and closing one
// succeeds. A removed file that no other handle holds, and no sync under
// way, gives its pages to the disk's pool and its space back. Files that
// other processes opened go on working. An open through p's Storage fails
// from then on. Exit draws nothing and records nothing, and it may be
// called after the disk crashed, was killed, stopped or was wiped, or more
// than once.
func (p *Process) Exit() {
	p.exited = true
	for f := p.open; f != nil; {
		next := f.next
		f.owner, f.prev, f.next = nil, nil, nil
		f.exited = true
		p.d.closed(f.n, f.gen)
		f = next
	}
	p.open = nil
}

// add makes f one of p's open files; a nil p, the disk's own Storage,
// keeps no list.
func (p *Process) add(f *file) {
	if p == nil {
		return
	}
	f.owner, f.next = p, p.open
	if p.open != nil {
		p.open.prev = f
	}
	p.open = f
}

// leave takes f out of its process's open files.
func (f *file) leave() {
	p := f.owner
	if p == nil {
		return
	}
	if f.prev != nil {
		f.prev.next = f.next
	} else {
		p.open = f.next
	}
	if f.next != nil {
		f.next.prev = f.prev
	}
	f.owner, f.prev, f.next = nil, nil, nil
}
