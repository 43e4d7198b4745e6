package simdisk

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// SectorSize is the unit of the disk: faults strike whole sectors, and a
// crash keeps or loses each unsynced sector whole.
const SectorSize = 512

const (
	pageSectors = 8 // sectors per page: one allocation of 4 KiB
	pageBytes   = SectorSize * pageSectors
	noTrunc     = math.MaxInt64 // content.trunc when no truncation is pending
)

// slot is one page of an image: up to eight sectors, which are present or
// not. In the overlay, a present sector is dirty until it is synced; one
// present and not dirty was lost to a failed sync: readable, never
// durable.
type slot struct {
	present, dirty uint8
	data           *[pageBytes]byte
}

// image is a sparse array of sectors. A file of a terabyte holding a few
// sectors costs a few pages. Its keys are page numbers. Code that visits
// its pages visits them in map order where the outcome cannot depend on
// it (each page is handled alone, and nothing is drawn or recorded), and
// in sorted order where it would (dirtySectors, whose order a crash draws
// in).
type image map[int64]slot

func sectorBit(s int64) uint8 { return 1 << (s % pageSectors) }

func sectorData(sl slot, s int64) []byte {
	i := s % pageSectors
	return sl.data[i*SectorSize : (i+1)*SectorSize]
}

// get returns sector s, or nil when it is absent.
func (m image) get(s int64) []byte {
	sl, ok := m[s/pageSectors]
	if !ok || sl.present&sectorBit(s) == 0 {
		return nil
	}
	return sectorData(sl, s)
}

// put makes sector s present, not dirty, and returns it for writing,
// zeroed if it was absent.
func (m image) put(s int64) []byte {
	k, b := s/pageSectors, sectorBit(s)
	sl, ok := m[k]
	if !ok {
		sl.data = new([pageBytes]byte)
	}
	buf := sectorData(sl, s)
	if sl.present&b == 0 {
		clear(buf)
	}
	sl.present |= b
	m[k] = sl
	return buf
}

// dropFrom removes every sector at or after first, and returns how many
// dirty sectors went with them.
func (m image) dropFrom(first int64) (dirtyDropped int) {
	for k, sl := range m {
		if (k+1)*pageSectors <= first {
			continue
		}
		var keep uint8 // the sectors before first
		if k*pageSectors < first {
			keep = uint8(1)<<(first-k*pageSectors) - 1
		}
		dirtyDropped += bits.OnesCount8(sl.dirty &^ keep)
		sl.present &= keep
		sl.dirty &= keep
		if sl.present == 0 {
			delete(m, k)
		} else {
			m[k] = sl
		}
	}
	return dirtyDropped
}

// content is a file's data: the durable image a crash keeps, and the
// overlay of what was written since the last sync (and of what a failed
// sync lost). Reads see the overlay over the durable image.
type content struct {
	durable image
	over    image
	dsize   int64 // the size a crash keeps
	size    int64 // the size readers see
	// trunc is the lowest size the file was truncated to since the last
	// sync, or noTrunc. Durable sectors from there on read as zeros until
	// a sync removes them or a crash brings them back.
	trunc  int64
	ndirty int // dirty sectors in the overlay
	// spare is one page a sync freed, for the next page the overlay
	// needs: a file that rewrites one page and syncs it, over and over,
	// allocates nothing after the first rounds. A sync that frees several
	// pages keeps one; the others are garbage.
	spare *[pageBytes]byte
	// pool is the disk's free pages, which the overlay takes from when
	// it has no spare; gone is set once the file's pages went back to it
	// (release), after which nothing reads or writes c.
	pool *pagePool
	gone bool
	// syncs counts the syncs under way, which keep the pages: a failed
	// one counts what it lost when it completes.
	syncs int

	// id and noise decide what the file's never-written sectors hold.
	id    uint64
	noise *noise
}

func newContent(id uint64, g *noise, pool *pagePool) *content {
	return &content{durable: image{}, over: image{}, trunc: noTrunc, id: id, noise: g, pool: pool}
}

// pagePool is a disk's free pages: those of files that are gone, removed
// or replaced and closed, for the files written next. A log rewritten
// into a new file and renamed over the old one, over and over, takes the
// old one's pages. It holds a few pages at most; the rest are garbage.
type pagePool struct {
	free []*[pageBytes]byte
}

// poolPages bounds a disk's free pages.
const poolPages = 16

func (p *pagePool) get() *[pageBytes]byte {
	n := len(p.free)
	if n == 0 {
		return nil
	}
	d := p.free[n-1]
	p.free[n-1] = nil
	p.free = p.free[:n-1]
	return d
}

func (p *pagePool) put(d *[pageBytes]byte) {
	if d != nil && len(p.free) < poolPages {
		if p.free == nil {
			p.free = make([]*[pageBytes]byte, 0, poolPages)
		}
		p.free = append(p.free, d)
	}
}

// release gives c's pages to its disk's pool: the file is gone from the
// namespace and no handle that still works holds it.
func (c *content) release() {
	if c.gone {
		return
	}
	c.gone = true
	// In map order: which pages the pool keeps changes nothing a run
	// can see.
	for _, m := range [2]image{c.durable, c.over} {
		for _, sl := range m {
			c.pool.put(sl.data)
		}
	}
	c.pool.put(c.spare)
	c.durable, c.over, c.spare = nil, nil, nil
}

// noise is what a disk's never-written sectors hold: zeros, or bytes that
// depend only on the seed, the disk, the file and the sector
// (chaos.Storage.UnwrittenGarbage). It draws nothing from the run's
// stream, so it changes a run only where the run reads such a sector.
type noise struct {
	on  bool
	key uint64 // from the seed and the disk's address
}

// newNoise returns the noise of the disk of addr in a run of seed.
func newNoise(seed uint64, addr string) *noise {
	h := uint64(14695981039346656037) // FNV-1a
	for i := range len(addr) {
		h = (h ^ uint64(addr[i])) * 1099511628211
	}
	return &noise{key: mix64(seed ^ mix64(h))}
}

// unwritten fills buf, a whole sector, with what never-written sector s
// of c holds.
func (c *content) unwritten(s int64, buf []byte) {
	g := c.noise
	if g == nil || !g.on {
		clear(buf)
		return
	}
	x := g.key ^ mix64(c.id) ^ mix64(uint64(s)+0x632be59bd9b4e019)
	for i := 0; i+8 <= len(buf); i += 8 {
		x += 0x9e3779b97f4a7c15
		binary.LittleEndian.PutUint64(buf[i:], mix64(x))
	}
}

// garbage reports whether never-written sectors of c read as anything but
// zeros.
func (c *content) garbage() bool { return c.noise != nil && c.noise.on }

// mix64 is splitmix64's finalizer.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func ceilSectors(n int64) int64 {
	// Not (n+SectorSize-1)/SectorSize, which overflows for sizes near
	// math.MaxInt64.
	s := n / SectorSize
	if n%SectorSize > 0 {
		s++
	}
	return s
}

// unsynced reports whether a crash now would lose anything.
func (c *content) unsynced() bool {
	return c.ndirty > 0 || c.size != c.dsize || c.trunc != noTrunc
}

// base returns the durable contents of sector s as readers see them, nil
// for a sector never written (or cut off by a truncation).
func (c *content) base(s int64) []byte {
	if c.trunc != noTrunc && s >= ceilSectors(c.trunc) {
		return nil
	}
	return c.durable.get(s)
}

// sector returns the contents of sector s as readers see them, nil for a
// sector never written.
func (c *content) sector(s int64) []byte {
	if b := c.over.get(s); b != nil {
		return b
	}
	return c.base(s)
}

// readAt fills p with the bytes at off; the caller keeps it within size.
// It returns how many never-written sectors it read garbage from.
func (c *content) readAt(p []byte, off int64) (garbage int) {
	for len(p) > 0 {
		s, o := off/SectorSize, int(off%SectorSize)
		n := min(len(p), SectorSize-o)
		if c.readSector(s, o, p[:n]) {
			garbage++
		}
		p, off = p[n:], off+int64(n)
	}
	return garbage
}

// readSector fills p with the bytes of sector s from its byte o on, as
// readers see them; it reports whether they are a never-written sector's
// garbage.
func (c *content) readSector(s int64, o int, p []byte) (garbage bool) {
	if b := c.sector(s); b != nil {
		copy(p, b[o:])
		return false
	}
	if !c.garbage() {
		clear(p)
		return false
	}
	var tmp [SectorSize]byte
	c.unwritten(s, tmp[:])
	copy(p, tmp[o:])
	return true
}

// writeAt writes p at off into the overlay (the page cache, dirty until
// synced), a page at a time. It leaves the size to the caller.
func (c *content) writeAt(p []byte, off int64) {
	for len(p) > 0 {
		n := min(len(p), pageBytes-int(off%pageBytes))
		k := off / pageBytes
		sl, ok := c.over[k]
		fresh := false // a fresh page is all zeros
		if !ok {
			sl.data, fresh = c.newPage()
		}
		for s := off / SectorSize; s*SectorSize < off+int64(n); s++ {
			lo, hi, o := sectorSpan(off, n, s)
			b := sectorBit(s)
			buf := sectorData(sl, s)
			if sl.present&b == 0 && hi-lo < SectorSize {
				// Part of a sector the overlay lacks: start from
				// what readers see.
				if base := c.base(s); base != nil {
					copy(buf, base)
				} else if !fresh || c.garbage() {
					c.unwritten(s, buf)
				}
			}
			copy(buf[o:], p[lo:hi])
			if sl.dirty&b == 0 {
				c.ndirty++
			}
			sl.present |= b
			sl.dirty |= b
		}
		c.over[k] = sl
		p, off = p[n:], off+int64(n)
	}
}

// newPage returns a page for the overlay: the spare one a sync freed or
// one of the disk's free pages, holding what it last held, or a fresh one,
// all zeros, which fresh tells.
func (c *content) newPage() (data *[pageBytes]byte, fresh bool) {
	if d := c.spare; d != nil {
		c.spare = nil
		return d, false
	}
	if d := c.pool.get(); d != nil {
		return d, false
	}
	return new([pageBytes]byte), true
}

// truncate sets the size to n. Bytes past a shrunk size are gone from the
// overlay and hidden in the durable image until the next sync; bytes past
// the size are never-written space (zeros, or garbage), so a file that
// grows again reads that there.
func (c *content) truncate(n int64) {
	if n < c.size {
		c.trunc = min(c.trunc, n)
		c.ndirty -= c.over.dropFrom(ceilSectors(n))
		if o := int(n % SectorSize); o != 0 {
			var tail [SectorSize]byte
			c.unwritten(n/SectorSize, tail[:])
			c.writeAt(tail[o:], n)
		}
	}
	c.size = n
}

// sync makes the overlay's dirty sectors and the size durable. Sectors a
// failed sync lost stay in the overlay, readable and never durable.
func (c *content) sync() {
	if c.trunc != noTrunc {
		c.durable.dropFrom(ceilSectors(c.trunc))
		c.trunc = noTrunc
	}
	if c.ndirty == 0 {
		// Nothing to write back (what a failed sync lost stays where it
		// is): the overlay need not be walked.
		c.dsize = c.size
		return
	}
	for k, sl := range c.over {
		if sl.dirty == 0 {
			continue
		}
		d, ok := c.durable[k]
		if sl.present == sl.dirty && (!ok || d.present&^sl.dirty == 0) {
			// The overlay page covers all the durable page holds: hand
			// it over rather than copy it.
			if ok {
				c.spare = d.data
			}
			c.durable[k] = slot{present: sl.dirty, data: sl.data}
			delete(c.over, k)
			continue
		}
		// The dirty sectors into the durable page, looked up once: an
		// append synced at once dirties one or two sectors of a page
		// that holds others.
		if !ok {
			d.data = new([pageBytes]byte)
		}
		for i := int64(0); i < pageSectors; i++ {
			s := k*pageSectors + i
			if sl.dirty&sectorBit(s) == 0 {
				continue
			}
			copy(sectorData(d, s), sectorData(sl, s))
		}
		d.present |= sl.dirty
		c.durable[k] = d
		sl.present &^= sl.dirty
		sl.dirty = 0
		if sl.present == 0 {
			// Copied out whole: the page is free. A log that appends
			// a record and syncs it, over and over, lands here every
			// time, and without the spare would allocate a page per
			// append.
			delete(c.over, k)
			if c.spare == nil {
				c.spare = sl.data
			}
		} else {
			c.over[k] = sl
		}
	}
	c.ndirty = 0
	c.dsize = c.size
}

// failSync is a sync whose write-back failed: the dirty sectors are marked
// clean without reaching the durable image, so no later sync writes them,
// and the size stays unsynced.
func (c *content) failSync() (lost int) {
	for k, sl := range c.over {
		lost += bits.OnesCount8(sl.dirty)
		sl.dirty = 0
		c.over[k] = sl
	}
	c.ndirty = 0
	return lost
}

// dirtySectors lists the overlay's dirty sectors in order: a crash draws
// for each in turn.
func (c *content) dirtySectors() []int64 {
	var out []int64
	for _, k := range slices.Sorted(maps.Keys(c.over)) {
		sl := c.over[k]
		for i := int64(0); i < pageSectors; i++ {
			if sl.dirty&(1<<i) != 0 {
				out = append(out, k*pageSectors+i)
			}
		}
	}
	return out
}

// pending is what a file had not synced, as a crash's or a kill's entry
// tells it.
type pending struct {
	cut         int64  // the truncation a crash may carry, or noTrunc
	ranges      string // the unsynced sectors' bytes: "0-1023, 4096-4399"
	size, dsize int64
}

// maxRanges is how many ranges of unsynced bytes an entry names per file.
const maxRanges = 3

// pending returns what c has not synced.
func (c *content) pending() pending {
	p := pending{cut: c.pendingCut(), size: c.size, dsize: c.dsize}
	var b strings.Builder
	runs := 0
	first, last := int64(-1), int64(-1)
	flush := func() {
		if first < 0 {
			return
		}
		if runs < maxRanges {
			if runs > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d-%d", first*SectorSize, min((last+1)*SectorSize, c.size)-1)
		}
		runs++
	}
	for _, s := range c.dirtySectors() {
		if first < 0 || s != last+1 {
			flush()
			first = s
		}
		last = s
	}
	flush()
	if more := runs - maxRanges; more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	p.ranges = b.String()
	return p
}

// String tells what was pending: "a truncate to 0 that reached the disk
// without a sync, bytes 0-1023"; cut tells whether the crash carried the
// truncation onto the disk.
func (p pending) String(cut bool) string {
	var b strings.Builder
	if p.cut != noTrunc {
		fmt.Fprintf(&b, "a truncate to %d", p.cut)
		if cut {
			b.WriteString(" that reached the disk without a sync")
		}
	}
	if p.ranges != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString("bytes " + p.ranges)
	}
	if b.Len() == 0 && p.size != p.dsize {
		fmt.Fprintf(&b, "its size %d, %d synced", p.size, p.dsize)
	}
	return b.String()
}

// pendingCut returns the size a truncation since the last sync would cut
// the durable file to, or noTrunc when none would shorten it.
func (c *content) pendingCut() int64 {
	if c.trunc < c.dsize {
		return c.trunc
	}
	return noTrunc
}

// crash loses the overlay. A pending truncation that would shorten the
// durable file reaches it first if cut returns true (a file system may
// commit a truncation with no fsync, as ext4 and XFS do), and cut is
// called only then. Then each dirty sector for which keep returns true
// reaches the durable image (a torn write), whether or not the truncation
// did, and the durable size grows to cover it. It returns the size the
// truncation cut the durable file to, or noTrunc, how many sectors were
// dirty and how many were kept, and how many a failed sync had kept from
// the disk, readable until now.
func (c *content) crash(cut, keep func() bool, keptAt func(sector int64)) (cutTo int64, dirty, kept, failed int) {
	for _, sl := range c.over {
		failed += bits.OnesCount8(sl.present &^ sl.dirty)
	}
	cutTo = c.pendingCut()
	if cutTo != noTrunc {
		if cut() {
			c.cutDurable(cutTo)
		} else {
			cutTo = noTrunc
		}
	}
	for _, s := range c.dirtySectors() {
		dirty++
		if !keep() {
			continue
		}
		kept++
		keptAt(s)
		copy(c.durable.put(s), c.over.get(s))
		c.dsize = max(c.dsize, min(c.size, (s+1)*SectorSize))
	}
	c.over = image{}
	c.size = c.dsize
	c.trunc = noTrunc
	c.ndirty = 0
	return cutTo, dirty, kept, failed
}

// cutDurable truncates the durable image to n bytes, below the durable
// size, as a truncation that reached the disk does: the rest of the
// sector it ends in becomes never-written space, as truncate makes it in
// the overlay.
func (c *content) cutDurable(n int64) {
	c.durable.dropFrom(ceilSectors(n))
	if o := int(n % SectorSize); o != 0 {
		if b := c.durable.get(n / SectorSize); b != nil {
			var tail [SectorSize]byte
			c.unwritten(n/SectorSize, tail[:])
			copy(b[o:], tail[o:])
		}
	}
	c.dsize = n
}

// stop is a graceful shutdown: what was written is synced, what a failed
// sync lost stays lost.
func (c *content) stop() (failed int) {
	for _, sl := range c.over {
		failed += bits.OnesCount8(sl.present &^ sl.dirty)
	}
	c.sync()
	c.over = image{}
	return failed
}
