package client_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/manhattan-analytics/manhattan/client"
	"github.com/manhattan-analytics/manhattan/query"
)

// TestDocumentsHaveTheServersFields checks that each document type of the client has
// exactly the JSON fields (names, omitempty, and kinds, recursively) of the type the
// server encodes.
func TestDocumentsHaveTheServersFields(t *testing.T) {
	for _, pair := range [][2]any{
		{client.CountAnswer{}, query.CountAnswer{}},
		{client.ValueAnswer{}, query.ValueAnswer{}},
		{client.TestsAnswer{}, query.TestsAnswer{}},
		{client.GoalsAnswer{}, query.GoalsAnswer{}},
		{client.ResultsAnswer{}, query.ResultsAnswer{}},
		{client.AnalysisAnswer{}, query.AnalysisAnswer{}},
		{client.SeriesAnswer{}, query.SeriesAnswer{}},
		{client.DeadLettersAnswer{}, query.DeadLettersAnswer{}},
		{client.StatusAnswer{}, query.StatusAnswer{}},
		{client.Config{}, query.ConfigAnswer{}},
		{client.ConfigChange{}, query.ConfigChange{}},
	} {
		got, want := reflect.TypeOf(pair[0]), reflect.TypeOf(pair[1])
		assert.Equal(t, shape(want), shape(got), "%v against %v", got, want)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// shape describes how values of t encode as JSON.
func shape(t reflect.Type) string {
	switch {
	case t == timeType:
		return "time"
	case t.Kind() == reflect.Pointer:
		return "*" + shape(t.Elem())
	case t.Kind() == reflect.Slice:
		return "[]" + shape(t.Elem())
	case t.Kind() == reflect.Map:
		return "map[" + t.Key().Kind().String() + "]" + shape(t.Elem())
	case t.Kind() == reflect.Struct:
		if t.PkgPath() != "" && !strings.HasPrefix(t.PkgPath(), "github.com/manhattan-analytics/manhattan/") || strings.HasSuffix(t.PkgPath(), "/analysis") {
			return t.String() // a type both sides share
		}
		var fields []string
		collect(t, &fields)
		slices.Sort(fields)
		return "{" + strings.Join(fields, " ") + "}"
	}
	return t.Kind().String()
}

// collect adds the JSON fields of struct t, embedded structs' fields included.
func collect(t reflect.Type, fields *[]string) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			collect(f.Type, fields)
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		*fields = append(*fields, fmt.Sprintf("%s%s:%s", name, map[bool]string{true: "?"}[opts == "omitempty"], shape(f.Type)))
	}
}
