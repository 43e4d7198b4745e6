package chaos_test

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/chaos"
)

// notProbabilities are the float64 fields that are not probabilities, and
// so do not end in Prob. A new one is added here on purpose, with why.
var notProbabilities = map[string]string{
	"Attrition.Graceful":     "a weight",
	"Attrition.Crash":        "a weight",
	"Attrition.Wipe":         "a weight",
	"Attrition.PowerLoss":    "a weight",
	"Attrition.Kill":         "a weight",
	"Attrition.Pause":        "a weight",
	"Storage.ThrottleFactor": "a factor",
	"Network.MaxClockDrift":  "a bound on a clock's rate error",
}

// fields lists every field of the structs of package chaos reachable from
// t, as "Type.Field", with its type.
func fields(t reflect.Type, seen map[reflect.Type]bool, out map[string]reflect.StructField) {
	if t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[chaos.Config]().PkgPath() || seen[t] {
		return
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		out[t.Name()+"."+f.Name] = f
		fields(f.Type, seen, out)
	}
}

// TestOneWordPerIdea pins the names of the configuration's fields, so that
// fields added later follow them: a probability ends in Prob, a duration
// drawn between two bounds is a Range, a bound starts with Max, and a
// per-seed draw is asked for by a field named Randomize.
func TestOneWordPerIdea(t *testing.T) {
	all := map[string]reflect.StructField{}
	fields(reflect.TypeFor[chaos.Config](), map[reflect.Type]bool{}, all)
	_, ok := all["StorageEpisode.Prob"]
	assert.True(t, ok, "the walk reaches nested structs")

	duration := reflect.TypeFor[time.Duration]()
	for _, name := range slices.Sorted(maps.Keys(all)) {
		f := all[name]
		typ, field, _ := strings.Cut(name, ".")
		if f.Type.Kind() == reflect.Float64 && !strings.HasSuffix(field, "Prob") {
			_, ok := notProbabilities[name]
			assert.True(t, ok, "%s is a float64 whose name does not end in Prob: name a probability XProb, or list it in notProbabilities with what it is", name)
		}
		for _, s := range []string{"Probability", "Chance"} {
			assert.NotContains(t, field, s, "%s: a probability's name ends in Prob", name)
		}
		if typ != "Range" {
			for _, s := range []string{"Min", "Max"} {
				assert.False(t, strings.HasSuffix(field, s), "%s ends in %s: a duration between two bounds is a chaos.Range, and a bound's name starts with Max", name, s)
			}
			if f.Type == duration && strings.HasPrefix(field, "Min") {
				_, pair := all[typ+".Max"+strings.TrimPrefix(field, "Min")]
				assert.False(t, pair, "%s: a duration between two bounds is a chaos.Range", name)
			}
		}
		if strings.Contains(field, "Random") {
			assert.Equal(t, "Randomize", field, "%s: a per-seed draw is asked for by a field named Randomize", name)
			assert.Equal(t, reflect.Bool, f.Type.Kind(), "%s is a switch", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(notProbabilities)) {
		_, ok := all[name]
		assert.True(t, ok, "notProbabilities lists %s, which is gone", name)
	}
}

func TestRandomPresetsSetRandomize(t *testing.T) {
	assert.True(t, chaos.Random().Randomize)
	assert.True(t, chaos.RandomNetwork().Randomize)
	assert.True(t, chaos.RandomStorage().Randomize)
	assert.False(t, chaos.Defaults().Randomize)
	assert.False(t, chaos.DefaultNetwork().Randomize)
	assert.False(t, chaos.DefaultStorage().Randomize)
}
