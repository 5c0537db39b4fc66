package opterr

import (
	"errors"
	"fmt"
	"reflect"
)

// Error is one invalid option: "pkg: Option: message", or "pkg: message"
// when the error belongs to no single option (a nil entry in an option
// list). Unwrap gives the cause, so errors.Is and errors.As see through it.
type Error struct {
	Pkg    string // the package reporting it: "dialopt"
	Option string // the option, possibly nested: "WithLogging: WithFilter"; may be empty
	Err    error  // what is wrong
}

func (e *Error) Error() string {
	if e.Option == "" {
		return e.Pkg + ": " + e.Err.Error()
	}
	return e.Pkg + ": " + e.Option + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// List collects option errors in the order they are found. The zero value is
// ready to use. It is not safe for concurrent use.
type List struct{ errs []error }

// Add records err against option of pkg. A nil err is ignored. An *Error
// (or a join of them) from another package is re-labelled with Nest's rule.
func (l *List) Add(pkg, option string, err error) {
	if err == nil {
		return
	}
	l.errs = append(l.errs, &Error{Pkg: pkg, Option: option, Err: err})
}

// Addf records a formatted message against option of pkg.
func (l *List) Addf(pkg, option, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pkg: pkg, Option: option, Err: fmt.Errorf(format, args...)})
}

// Nest records the errors err holds (as returned by another package's
// Validate) as errors of option of pkg. An inner *Error loses its own package
// prefix and keeps its option name: logging's "logging: WithFilter: nil
// matcher" inside dialopt.WithLogging becomes "dialopt: WithLogging:
// WithFilter: nil matcher". errors.As still finds the inner cause.
func (l *List) Nest(pkg, option string, err error) {
	if err == nil {
		return
	}
	for _, e := range flatten(err) {
		var inner *Error
		if errors.As(e, &inner) {
			nested := option
			if inner.Option != "" {
				nested += ": " + inner.Option
			}
			l.errs = append(l.errs, &Error{Pkg: pkg, Option: nested, Err: inner.Err})
			continue
		}
		l.errs = append(l.errs, &Error{Pkg: pkg, Option: option, Err: e})
	}
}

// Nil records "what is nil" against option when v is nil or a typed nil (see
// IsNil), and reports whether it was.
func (l *List) Nil(pkg, option, what string, v any) bool {
	if !IsNil(v) {
		return false
	}
	l.Addf(pkg, option, "%s is nil", what)
	return true
}

// Apply runs apply, which applies the option described by what ("option
// 2") to pkg's option (option may be empty), recording a panic as an error
// instead: a type that embeds a nil Option (struct{ x.Option }{}) satisfies
// a sealed option interface and panics when applied, and no option may make
// a builder panic.
func (l *List) Apply(pkg, option, what string, apply func()) {
	defer func() {
		if p := recover(); p != nil {
			l.Addf(pkg, option, "%s cannot be applied (a type embedding a nil option?): %v", what, p)
		}
	}()
	apply()
}

// Len reports how many errors were recorded.
func (l *List) Len() int { return len(l.errs) }

// Err returns nil when nothing was recorded, the error itself when one was,
// and otherwise every error joined in order (errors.Join: one per line).
func (l *List) Err() error {
	switch len(l.errs) {
	case 0:
		return nil
	case 1:
		return l.errs[0]
	}
	return errors.Join(l.errs...)
}

// IsNil reports whether v is nil or holds a nil pointer or func, which would
// panic where a usable value was promised: a `var f filter.MatchFunc` passed
// as a matcher is one. Nil slices and maps are usable values (a filter of no
// service names is one) and are not reported.
func IsNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Func, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// NilEach records "what N is nil" against option for the first nil or
// typed-nil element of vs, counting from 1 as every grpckit error does, and
// reports whether there was one.
func NilEach[T any](l *List, pkg, option, what string, vs []T) bool {
	for i, v := range vs {
		if IsNil(v) {
			l.Addf(pkg, option, "%s %d is nil", what, i+1)
			return true
		}
	}
	return false
}
