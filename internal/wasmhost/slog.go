package wasmhost

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// logRecord reads a line of output as a log/slog record, written by
// slog.TextHandler (time=... level=INFO msg=...) or slog.JSONHandler, so
// that the timeline keeps its message, level and attributes, as it does
// for the records of native code. The record's own time is dropped: the
// timeline stamps the simulated time. ok is false for any other line.
func logRecord(line string) (e sim.Entry, ok bool) {
	switch {
	case strings.HasPrefix(line, "time=") || strings.HasPrefix(line, "level="):
		return textRecord(line)
	case strings.HasPrefix(line, `{"time":`) || strings.HasPrefix(line, `{"level":`):
		return jsonRecord(line)
	}
	return sim.Entry{}, false
}

// levelTags are the levels of log lines in HashiCorp's convention: the
// standard log package's ("[DEBUG] memberlist: ..."), as memberlist and
// many others write them, and hclog's, which Raft, Consul and Nomad
// write, and which pads "[INFO]" and "[WARN]" to the others' width.
var levelTags = []struct {
	tag   string
	level slog.Level
}{
	{"[TRACE] ", slog.LevelDebug - 4},
	{"[DEBUG] ", slog.LevelDebug},
	{"[INFO] ", slog.LevelInfo},
	{"[WARN] ", slog.LevelWarn},
	{"[ERR] ", slog.LevelError},
	{"[ERROR] ", slog.LevelError},
}

// leveledLine reads a log line whose message begins with a level in
// brackets, after the log package's date and time (2006/01/02 15:04:05,
// with log.Lmicroseconds .000000), hclog's (2006-01-02T15:04:05.000Z0700)
// or none: msg is the message without them. ok is false for any other
// line.
func leveledLine(line string) (level slog.Level, msg string, ok bool) {
	rest := skipLogTime(line)
	for _, t := range levelTags {
		if m, found := strings.CutPrefix(rest, t.tag); found {
			if len(t.tag) < len("[DEBUG] ") {
				m = strings.TrimPrefix(m, " ") // hclog's padding
			}
			return t.level, m, true
		}
	}
	return 0, "", false
}

// skipLogTime returns line past the date and time that the log package's
// LstdFlags, or hclog, write before a message, and its space; line itself
// when it does not begin with them.
func skipLogTime(line string) string {
	rest, ok := cutDigits(line, "2006/01/02 15:04:05")
	hclog := !ok
	if hclog {
		if rest, ok = cutDigits(line, "2006-01-02T15:04:05"); !ok {
			return line
		}
	}
	if frac, ok := strings.CutPrefix(rest, "."); ok {
		n := len(frac) - len(strings.TrimLeft(frac, "0123456789"))
		if n == 0 {
			return line
		}
		rest = frac[n:]
	}
	if hclog { // its zone: Z, or +0100
		if z, ok := strings.CutPrefix(rest, "Z"); ok {
			rest = z
		} else if len(rest) > 0 && (rest[0] == '+' || rest[0] == '-') {
			if rest, ok = cutDigits(rest[1:], "0700"); !ok {
				return line
			}
		}
	}
	if r, ok := strings.CutPrefix(rest, " "); ok {
		return r
	}
	return line
}

// cutDigits returns s past a prefix that has layout's shape, a digit for
// each digit of layout and its other bytes as they are, and whether s had
// one.
func cutDigits(s, layout string) (string, bool) {
	if len(s) < len(layout) {
		return s, false
	}
	for i := range len(layout) {
		digit := s[i] >= '0' && s[i] <= '9'
		if l := layout[i]; (l >= '0' && l <= '9') != digit || !digit && s[i] != l {
			return s, false
		}
	}
	return s[len(layout):], true
}

func textRecord(line string) (sim.Entry, bool) {
	var e sim.Entry
	level, msg := false, false
	for line != "" {
		key, rest, found := strings.Cut(line, "=")
		if !found || key == "" || strings.ContainsAny(key, " \"") {
			return sim.Entry{}, false
		}
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := closingQuote(rest)
			if end < 0 {
				return sim.Entry{}, false
			}
			v, err := strconv.Unquote(rest[:end+1])
			if err != nil {
				return sim.Entry{}, false
			}
			val, rest = v, rest[end+1:]
		} else {
			val, rest, _ = strings.Cut(rest, " ")
			rest = " " + rest
		}
		line = strings.TrimPrefix(rest, " ")
		switch key {
		case "time":
		case "level":
			if e.Level.UnmarshalText([]byte(val)) != nil {
				return sim.Entry{}, false
			}
			level = true
		case "msg":
			e.Msg, e.Name, msg = val, val, true
		default:
			e.Attrs = append(e.Attrs, slog.String(key, val))
		}
	}
	return e, level && msg
}

// closingQuote returns the index of the quote that ends the quoted string
// s begins with, or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func jsonRecord(line string) (sim.Entry, bool) {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return sim.Entry{}, false
	}
	var e sim.Entry
	lv, ok1 := m["level"].(string)
	msg, ok2 := m["msg"].(string)
	if !ok1 || !ok2 || e.Level.UnmarshalText([]byte(lv)) != nil {
		return sim.Entry{}, false
	}
	e.Msg, e.Name = msg, msg
	// The keys in the order the line has them.
	for _, k := range jsonKeys(line) {
		if k == "time" || k == "level" || k == "msg" {
			continue
		}
		if v, ok := m[k]; ok {
			e.Attrs = append(e.Attrs, slog.Any(k, jsonValue(v)))
		}
	}
	return e, true
}

func jsonValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case string, bool, nil:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// jsonKeys returns the top-level keys of a JSON object in order.
func jsonKeys(line string) []string {
	dec := json.NewDecoder(strings.NewReader(line))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, ok := t.(string)
		if !ok {
			return keys
		}
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}
