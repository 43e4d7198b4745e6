package tally

import (
	"log/slog"
	"strconv"
	"strings"
)

// details formats an assertion's key/value pairs as log/slog reads them:
// a slog.Attr stands for itself, a key without a value becomes !BADKEY.
func details(args []any) []Detail {
	if len(args) == 0 {
		return nil
	}
	var r slog.Record
	r.Add(args...)
	out := make([]Detail, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		out = append(out, Detail{Key: a.Key, Value: a.Value.Resolve().String()})
		return true
	})
	return out
}

// formatDetails writes details as key=value pairs.
func formatDetails(ds []Detail) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.Key)
		b.WriteByte('=')
		b.WriteString(quoteIfNeeded(d.Value))
	}
	return b.String()
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return strconv.Quote(s)
	}
	return s
}
