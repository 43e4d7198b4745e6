package simdisk

import "slices"

// sectorSpan returns the part of a buffer read from or written at off that
// falls in sector s: buf[lo:hi], at offset o within the sector.
func sectorSpan(off int64, n int, s int64) (lo, hi, o int) {
	start := max(off, s*SectorSize)
	end := min(off+int64(n), (s+1)*SectorSize)
	return int(start - off), int(end - off), int(start % SectorSize)
}

// pickSector draws one of the sectors a buffer at off spans.
func (d *Disk) pickSector(off int64, n int) int64 {
	first, last := off/SectorSize, (off+int64(n)-1)/SectorSize
	return first + d.w.Rand().Int64N(last-first+1)
}

// misdirect draws where a misdirected sector s goes: 1 to 8 sectors away,
// never before the start of the file.
func (d *Disk) misdirect(s int64) int64 {
	delta := int64(d.w.Rand().IntN(16)) - 8 // [-8, 8), then skip 0
	if delta >= 0 {
		delta++
	}
	if s+delta < 0 {
		return s - delta
	}
	return s + delta
}

// flipBits flips 1 to 8 distinct bits of b, drawn from the run's stream,
// and returns how many.
func (d *Disk) flipBits(b []byte) int {
	r := d.w.Rand()
	k := min(1+r.IntN(8), len(b)*8)
	var flipped [8]int
	for i := range k {
		pos := r.IntN(len(b) * 8)
		for slices.Contains(flipped[:i], pos) {
			pos = (pos + 1) % (len(b) * 8)
		}
		flipped[i] = pos
		b[pos/8] ^= 1 << (pos % 8)
	}
	return k
}

// readFaults applies the read faults to p, just read at off from c. It
// draws, in order: whether the read is misdirected (then which sector,
// and where from), and whether it is corrupted (then which sector, how
// many bits and which).
func (d *Disk) readFaults(name string, c *content, p []byte, off int64) {
	r := d.w.Rand()
	if r.Bool(d.cfg.MisdirectedReadProb) {
		s := d.pickSector(off, len(p))
		t := d.misdirect(s)
		lo, hi, o := sectorSpan(off, len(p), s)
		c.readSector(t, o, p[lo:hi])
		d.stats.MisdirectedReads++
		d.event("misdirected-read", "%s: sector %d read from sector %d", name, s, t)
	}
	if r.Bool(d.cfg.ReadCorruptionProb) {
		s := d.pickSector(off, len(p))
		lo, hi, _ := sectorSpan(off, len(p), s)
		k := d.flipBits(p[lo:hi])
		d.stats.ReadCorruptions++
		d.event("read-corruption", "%s: sector %d read with %d bits flipped", name, s, k)
	}
}

// write writes p at off into c, applying the write faults. It draws, in
// order: whether the write is a phantom (then nothing more), whether it
// is misdirected (then which sector, and where to), and whether it is
// corrupted (then which sector, how many bits and which). The file grows
// to cover the write whatever the faults do to its data.
func (d *Disk) write(name string, c *content, p []byte, off int64) {
	r := d.w.Rand()
	end := off + int64(len(p))
	c.size = max(c.size, end)
	if r.Bool(d.cfg.PhantomWriteProb) {
		d.stats.PhantomWrites++
		d.event("phantom-write", "%s: %d bytes at %d acknowledged, not stored", name, len(p), off)
		return
	}
	misdirected, to := int64(-1), int64(-1)
	if r.Bool(d.cfg.MisdirectedWriteProb) {
		misdirected = d.pickSector(off, len(p))
		to = d.misdirect(misdirected)
		d.stats.MisdirectedWrites++
		d.event("misdirected-write", "%s: sector %d written to sector %d", name, misdirected, to)
	}
	corrupted := int64(-1)
	if r.Bool(d.cfg.WriteCorruptionProb) {
		corrupted = d.pickSector(off, len(p))
	}
	if misdirected < 0 && corrupted < 0 {
		c.writeAt(p, off)
		return
	}
	for s := off / SectorSize; s*SectorSize < end; s++ {
		lo, hi, o := sectorSpan(off, len(p), s)
		data := p[lo:hi]
		if s == corrupted {
			data = slices.Clone(data)
			k := d.flipBits(data)
			d.stats.WriteCorruptions++
			d.event("write-corruption", "%s: sector %d stored with %d bits flipped", name, s, k)
		}
		dst := s
		if s == misdirected {
			dst = to
		}
		c.writeAt(data, dst*SectorSize+int64(o))
	}
}
