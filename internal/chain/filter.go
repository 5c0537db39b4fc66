package chain

import (
	"reflect"
	"sync"

	"github.com/grpckit/grpckit/interceptors/filter"
)

// filters maps an observer package's option type to the function that
// finds the filter in a slice of its options.
var filters sync.Map // reflect.Type -> func(any) filter.Matcher

// RegisterFilter is called by an observer package (tracing, metrics,
// logging) from its init function with the function that returns the filter
// its interceptors consult for a list of its options. It lets the option
// builders leave the interceptor out of calls it skips, without the package
// exporting it.
func RegisterFilter[O any](f func([]O) filter.Matcher) {
	filters.Store(reflect.TypeFor[O](), func(v any) filter.Matcher { return f(v.([]O)) })
}

// Filter returns the filter that interceptors built with opts consult, or
// nil (every call) when O's package registered none: the layer then runs on
// every call and its own filter decides, which is always correct.
func Filter[O any](opts []O) filter.Matcher {
	f, ok := filters.Load(reflect.TypeFor[O]())
	if !ok {
		return nil
	}
	return f.(func(any) filter.Matcher)(opts)
}
