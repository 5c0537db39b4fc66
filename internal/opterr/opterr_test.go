package opterr_test

import (
	"errors"
	"io"
	"testing"

	"github.com/grpckit/grpckit/internal/opterr"
)

type matchFunc func() bool

func TestIsNil(t *testing.T) {
	var f matchFunc
	var p *int
	var s []string
	var m map[string]int
	for _, c := range []struct {
		name string
		v    any
		want bool
	}{
		{"nil", nil, true}, {"typed nil func", f, true}, {"typed nil pointer", p, true},
		{"nil slice", s, false}, {"nil map", m, false}, {"value", 3, false},
		{"func", matchFunc(func() bool { return true }), false},
	} {
		if got := opterr.IsNil(c.v); got != c.want {
			t.Errorf("IsNil(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestListOrderAndNesting(t *testing.T) {
	var inner opterr.List
	inner.Addf("logging", "WithFilter", "matcher is nil")
	inner.Add("logging", "WithLevels", io.EOF)

	var l opterr.List
	if l.Err() != nil {
		t.Fatalf("empty list: got %v, want nil", l.Err())
	}
	var f matchFunc
	if !l.Nil("dialopt", "New", "option 1", f) {
		t.Fatal("typed nil not reported")
	}
	l.Nest("dialopt", "WithLogging", inner.Err())
	l.Nest("dialopt", "WithTracing", errors.New("plain"))
	l.Nest("dialopt", "WithMetrics", nil)

	want := "dialopt: New: option 1 is nil\n" +
		"dialopt: WithLogging: WithFilter: matcher is nil\n" +
		"dialopt: WithLogging: WithLevels: EOF\n" +
		"dialopt: WithTracing: plain"
	if got := l.Err().Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !errors.Is(l.Err(), io.EOF) {
		t.Error("errors.Is does not find the nested cause")
	}
	if l.Len() != 4 {
		t.Errorf("Len = %d, want 4", l.Len())
	}
}

func TestSingleErrorIsNotJoined(t *testing.T) {
	var l opterr.List
	l.Addf("serveropt", "WithHealth", "given twice")
	var e *opterr.Error
	if !errors.As(l.Err(), &e) || e.Option != "WithHealth" {
		t.Fatalf("got %#v, want one *Error for WithHealth", l.Err())
	}
}
