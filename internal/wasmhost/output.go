package wasmhost

import (
	"bytes"
	"context"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simctx"
)

// recorder adds lines to the simulation's timeline, stamped with the
// simulated time and the running task's process; nil outside a
// simulation.
type recorder interface{ Record(sim.Entry) }

func recorderOf(ctx context.Context) recorder {
	r, _ := simctx.From(ctx).(recorder)
	return r
}

// lineBuffer holds the part of an output stream after its last newline.
type lineBuffer struct{ partial []byte }

// tailSize is how much of standard error an ExitError keeps; its
// message quotes less (stderrScan.quote).
const tailSize = 16 << 10

// output takes what the program wrote to fd 1 or 2: copies go to the
// configured writers, complete lines to the timeline.
func (in *instance) output(fd uint32, b []byte) {
	lb, name := &in.out, "stdout"
	if fd == 2 {
		lb, name = &in.errs, "stderr"
		in.stderrTail = append(in.stderrTail, b...)
		if len(in.stderrTail) > 2*tailSize {
			in.stderrTail = append(in.stderrTail[:0], in.stderrTail[len(in.stderrTail)-tailSize:]...)
		}
		if in.cfg.Stderr != nil {
			in.cfg.Stderr.Write(b)
		}
	} else if in.cfg.Stdout != nil {
		in.cfg.Stdout.Write(b)
	}
	lb.partial = append(lb.partial, b...)
	for {
		i := bytes.IndexByte(lb.partial, '\n')
		if i < 0 {
			break
		}
		text := string(lb.partial[:i])
		if fd == 2 {
			in.errScan.add(text)
		}
		in.line(name, text)
		lb.partial = lb.partial[i+1:]
	}
	if len(lb.partial) == 0 {
		lb.partial = nil
	}
}

// line records one line of output in the timeline: a log/slog record as
// one, a line of the log package with a level in brackets ("[DEBUG] ...")
// with that level, named for its stream as any other line, so that a
// report's window can leave out a library's debug lines.
func (in *instance) line(stream, text string) {
	if in.rec == nil {
		return
	}
	if e, ok := logRecord(text); ok {
		in.rec.Record(e)
		return
	}
	if level, msg, ok := leveledLine(text); ok {
		in.rec.Record(sim.Entry{Name: stream, Msg: msg, Level: level})
		return
	}
	in.rec.Record(sim.Entry{Name: stream, Msg: text})
}

// flushOutput records the unfinished last lines.
func (in *instance) flushOutput() {
	if len(in.out.partial) > 0 {
		in.line("stdout", string(in.out.partial))
		in.out.partial = nil
	}
	if len(in.errs.partial) > 0 {
		text := string(in.errs.partial)
		in.errScan.add(text)
		in.line("stderr", text)
		in.errs.partial = nil
	}
}
