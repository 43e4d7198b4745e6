package simdisk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// The model: a file is its current bytes and its durable bytes; a name
// maps to a file; a handle holds a file, open or not.

type mfile struct {
	data, durable []byte
	// cut is the lowest size the file was truncated to since its last
	// sync, if cutting is set: a crash may carry it onto the disk.
	cut     int64
	cutting bool
}

// truncated notes a truncation to size.
func (mf *mfile) truncated(size int64) {
	if size < int64(len(mf.data)) && (!mf.cutting || size < mf.cut) {
		mf.cut, mf.cutting = size, true
	}
}

type mhandle struct {
	f      *mfile
	file   providers.File
	mode   int // one of the open modes below
	closed bool
	gone   bool // its disk crashed since it was opened
}

var modelNames = []string{"a", "b", "d/c"}

// The open modes the test uses.
const (
	modeCreate = iota // O_RDWR|O_CREATE
	modeTrunc         // O_RDWR|O_CREATE|O_TRUNC
	modeAppend        // O_RDWR|O_CREATE|O_APPEND
	modeRead          // O_RDONLY
)

var modeFlags = [...]int{
	modeCreate: os.O_RDWR | os.O_CREATE,
	modeTrunc:  os.O_RDWR | os.O_CREATE | os.O_TRUNC,
	modeAppend: os.O_RDWR | os.O_CREATE | os.O_APPEND,
	modeRead:   os.O_RDONLY,
}

type opKindM int

const (
	mOpen opKindM = iota
	mWrite
	mRead
	mTruncate
	mSync
	mClose
	mRemove
	mRename
	mStat
	mCrash
	mKinds
)

type mop struct {
	Kind        opKindM
	Name, Name2 int
	Mode        int
	H           int
	Off, N      int64
	B           byte
}

func (o mop) String() string {
	return fmt.Sprintf("%d{name=%d,%d mode=%d h=%d off=%d n=%d b=%d}", o.Kind, o.Name, o.Name2, o.Mode, o.H, o.Off, o.N, o.B)
}

func opGen(crashes bool) *rapid.Generator[mop] {
	return rapid.Custom(func(t *rapid.T) mop {
		kinds := int(mKinds) - 1
		if crashes {
			kinds++
		}
		return mop{
			Kind:  opKindM(rapid.IntRange(0, kinds-1).Draw(t, "kind")),
			Name:  rapid.IntRange(0, len(modelNames)-1).Draw(t, "name"),
			Name2: rapid.IntRange(0, len(modelNames)-1).Draw(t, "name2"),
			Mode:  rapid.IntRange(0, len(modeFlags)-1).Draw(t, "mode"),
			H:     rapid.IntRange(0, 7).Draw(t, "h"),
			Off:   rapid.Int64Range(0, 3000).Draw(t, "off"),
			N:     rapid.Int64Range(0, 1300).Draw(t, "n"),
			B:     rapid.Byte().Draw(t, "b"),
		}
	})
}

func resize(b []byte, n int64) []byte {
	if int64(len(b)) >= n {
		return slices.Clone(b[:n])
	}
	return append(slices.Clone(b), make([]byte, n-int64(len(b)))...)
}

// exec runs ops on a fresh disk and on the model, and returns the first
// disagreement. torn < 0 means no crashes.
func exec(seed uint64, ops []mop, torn float64) error {
	var failure error
	fail := func(format string, args ...any) {
		if failure == nil {
			failure = fmt.Errorf(format, args...)
		}
	}
	w := sim.New(sim.Config{Seed: seed})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		cfg := chaos.Storage{}
		if torn > 0 {
			cfg.TornWriteProb = torn
		}
		d, err := New(w, "n1", cfg)
		if err != nil {
			return err
		}
		st := d.Storage()
		if err := st.Mkdir("d", 0o755); err != nil {
			return err
		}
		names := map[string]*mfile{}
		var handles []*mhandle

		for i, o := range ops {
			if failure != nil {
				break
			}
			name, name2 := modelNames[o.Name], modelNames[o.Name2]
			var h *mhandle
			if len(handles) > 0 {
				h = handles[o.H%len(handles)]
			}
			// where names an op in a failure.
			where := fmt.Sprintf("op %d %v", i, o)
			switch o.Kind {
			case mOpen:
				f, err := st.OpenFile(name, modeFlags[o.Mode], 0o644)
				mf, exists := names[name]
				if o.Mode == modeRead && !exists {
					if !errors.Is(err, fs.ErrNotExist) {
						fail("%s: open of a missing file read-only: got %v, want ErrNotExist", where, err)
					}
					continue
				}
				if err != nil {
					fail("%s: open: %v", where, err)
					continue
				}
				if !exists {
					mf = &mfile{}
					names[name] = mf
				}
				if o.Mode == modeTrunc {
					mf.truncated(0)
					mf.data = nil
				}
				handles = append(handles, &mhandle{f: mf, file: f, mode: o.Mode})

			case mWrite:
				if h == nil {
					continue
				}
				buf := bytes.Repeat([]byte{o.B}, int(o.N))
				var n int
				var err error
				if h.mode == modeAppend {
					n, err = h.file.Write(buf)
				} else {
					n, err = h.file.WriteAt(buf, o.Off)
				}
				switch {
				case o.N == 0 && h.mode != modeAppend:
					if err != nil {
						fail("%s: an empty WriteAt does nothing, as with *os.File, whatever the file: got %v", where, err)
					}
				case h.closed || h.gone:
					if !errors.Is(err, fs.ErrClosed) {
						fail("%s: write to a closed file: got %v, want ErrClosed", where, err)
					}
				case h.mode == modeRead:
					if err == nil {
						fail("%s: write to a read-only file succeeded", where)
					}
				case err != nil || n != len(buf):
					fail("%s: write: n=%d err=%v", where, n, err)
				default:
					off := o.Off
					if h.mode == modeAppend {
						off = int64(len(h.f.data))
					}
					if o.N > 0 {
						h.f.data = resize(h.f.data, max(int64(len(h.f.data)), off+o.N))
						copy(h.f.data[off:], buf)
					}
				}

			case mRead:
				if h == nil {
					continue
				}
				buf := make([]byte, o.N)
				n, err := h.file.ReadAt(buf, o.Off)
				switch {
				case (h.closed || h.gone) && o.N == 0:
					if err != nil {
						fail("%s: an empty ReadAt does nothing, as with *os.File, even on a closed file: got %v", where, err)
					}
				case h.closed || h.gone:
					if !errors.Is(err, fs.ErrClosed) {
						fail("%s: read of a closed file: got %v, want ErrClosed", where, err)
					}
				default:
					var want []byte
					if o.Off < int64(len(h.f.data)) {
						want = h.f.data[o.Off:min(int64(len(h.f.data)), o.Off+o.N)]
					}
					wantErr := error(nil)
					if len(want) < len(buf) {
						wantErr = io.EOF
					}
					if !bytes.Equal(buf[:n], want) || err != wantErr {
						fail("%s: read %d bytes at %d: got %q, %v; want %q, %v", where, o.N, o.Off, buf[:n], err, want, wantErr)
					}
				}

			case mTruncate:
				if h == nil {
					continue
				}
				size := o.Off
				err := h.file.Truncate(size)
				switch {
				case h.closed || h.gone:
					if !errors.Is(err, fs.ErrClosed) {
						fail("%s: truncate of a closed file: got %v", where, err)
					}
				case h.mode == modeRead:
					if err == nil {
						fail("%s: truncate of a read-only file succeeded", where)
					}
				case err != nil:
					fail("%s: truncate: %v", where, err)
				default:
					h.f.truncated(size)
					h.f.data = resize(h.f.data, size)
				}

			case mSync:
				if h == nil {
					continue
				}
				err := h.file.Sync()
				switch {
				case h.closed || h.gone:
					if !errors.Is(err, fs.ErrClosed) {
						fail("%s: sync of a closed file: got %v", where, err)
					}
				case err != nil:
					fail("%s: sync: %v", where, err)
				default:
					h.f.durable = slices.Clone(h.f.data)
					h.f.cutting = false
				}

			case mClose:
				if h == nil {
					continue
				}
				err := h.file.Close()
				if h.closed != errors.Is(err, fs.ErrClosed) || !h.closed && err != nil {
					fail("%s: close (closed before: %v): %v", where, h.closed, err)
				}
				h.closed = true

			case mRemove:
				err := st.Remove(name)
				if _, ok := names[name]; ok != (err == nil) {
					fail("%s: remove (exists: %v): %v", where, ok, err)
				}
				delete(names, name)

			case mRename:
				err := st.Rename(name, name2)
				mf, ok := names[name]
				if ok != (err == nil) {
					fail("%s: rename (exists: %v): %v", where, ok, err)
				}
				if ok {
					delete(names, name)
					names[name2] = mf
				}

			case mStat:
				fi, err := st.Stat(name)
				mf, ok := names[name]
				switch {
				case ok != (err == nil):
					fail("%s: stat (exists: %v): %v", where, ok, err)
				case ok && fi.Size() != int64(len(mf.data)):
					fail("%s: stat size %d, want %d", where, fi.Size(), len(mf.data))
				}

			case mCrash:
				d.Crash()
				for _, h := range handles {
					h.gone = true
				}
				for _, n := range slices.Sorted(maps.Keys(names)) {
					mf := names[n]
					got, err := fs.ReadFile(providers.StorageFS(st), n)
					if err != nil {
						fail("%s: reading %s after the crash: %v", where, n, err)
						continue
					}
					if msg := crashOutcome(got, mf, torn); msg != "" {
						fail("%s: %s after the crash: %s", where, n, msg)
					}
					mf.data, mf.durable = got, slices.Clone(got)
					mf.cutting = false
				}
			}
		}
		// Finally every named file reads as the model says.
		for _, n := range slices.Sorted(maps.Keys(names)) {
			got, err := fs.ReadFile(providers.StorageFS(st), n)
			if err != nil || !bytes.Equal(got, names[n].data) {
				fail("at the end, %s reads %q, %v; want %q", n, got, err, names[n].data)
			}
		}
		return nil
	})
	if res.Err != nil {
		return res.Err
	}
	return failure
}

// crashOutcome checks what a file holds after a crash: exactly what was
// synced when no write may tear; otherwise what was synced, cut to the
// lowest size it was truncated to since if it was (always when every
// write tears), with each sector holding either that or what was written
// since, and the file no shorter than that and no longer than either.
func crashOutcome(got []byte, mf *mfile, torn float64) string {
	if torn <= 0 {
		if !bytes.Equal(got, mf.durable) {
			return fmt.Sprintf("got %q, want exactly the synced %q", got, mf.durable)
		}
		return ""
	}
	cut := mf.cutting && mf.cut < int64(len(mf.durable))
	if !cut || torn < 1 {
		msg := tornOutcome(got, mf.durable, mf.data)
		if msg == "" || !cut {
			return msg
		}
	}
	return tornOutcome(got, mf.durable[:mf.cut], mf.data)
}

// tornOutcome checks that each sector of got holds what the durable
// bytes or the current ones hold there, and that got is no shorter than
// the durable bytes and no longer than either.
func tornOutcome(got, durableBytes, data []byte) string {
	n := int64(len(got))
	if n < int64(len(durableBytes)) || n > int64(max(len(durableBytes), len(data))) {
		return fmt.Sprintf("size %d outside [%d, %d]", n, len(durableBytes), max(len(durableBytes), len(data)))
	}
	durable, current := resize(durableBytes, n), resize(data, n)
	for s := int64(0); s*SectorSize < n; s++ {
		lo, hi := s*SectorSize, min(n, (s+1)*SectorSize)
		if !bytes.Equal(got[lo:hi], durable[lo:hi]) && !bytes.Equal(got[lo:hi], current[lo:hi]) {
			return fmt.Sprintf("sector %d holds %q, neither the synced %q nor the written %q", s, got[lo:hi], durable[lo:hi], current[lo:hi])
		}
	}
	return ""
}

func TestModelWithoutFaults(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		ops := rapid.SliceOfN(opGen(false), 20, 200).Draw(rt, "ops")
		if err := exec(seed, ops, -1); err != nil {
			rt.Fatal(err)
		}
	})
}

func TestModelWithCrashes(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		torn := rapid.SampledFrom([]float64{0, 0.3, 1}).Draw(rt, "torn")
		ops := rapid.SliceOfN(opGen(true), 20, 200).Draw(rt, "ops")
		if err := exec(seed, ops, torn); err != nil {
			rt.Fatal(err)
		}
	})
}
