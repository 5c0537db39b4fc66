package chain

import (
	"context"

	"reflect"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/tap"

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

// ServerContextFunc derives a unary call's context, as ServerLayer's
// UnaryContext.
type ServerContextFunc = func(ctx context.Context, fullMethod string) (context.Context, context.CancelFunc, error)

// serverContexts maps an option type to the function building its package's
// ServerContextFunc.
var serverContexts sync.Map // reflect.Type -> func(any) ServerContextFunc

// RegisterServerContext is called by a package whose unary server
// interceptor only derives the call's context (deadline) from its init
// function, so that option builders can run it as a context layer.
func RegisterServerContext[O any](f func([]O) ServerContextFunc) {
	serverContexts.Store(reflect.TypeFor[O](), func(v any) ServerContextFunc { return f(v.([]O)) })
}

// ServerContext returns the context function of O's package for opts, or
// nil when it registered none (the layer's interceptor is used instead).
func ServerContext[O any](opts []O) ServerContextFunc {
	f, ok := serverContexts.Load(reflect.TypeFor[O]())
	if !ok {
		return nil
	}
	return f.(func(any) ServerContextFunc)(opts)
}

// serverTaps maps an option type to the function building its package's tap
// handle.
var serverTaps sync.Map // reflect.Type -> func(any) tap.ServerInHandle

// RegisterServerTap is called by a package that must act on grpc-go's own
// stream context, before the stream's reader is built (deadline: a server
// deadline that wakes a handler blocked in RecvMsg), from its init function.
func RegisterServerTap[O any](f func([]O) tap.ServerInHandle) {
	serverTaps.Store(reflect.TypeFor[O](), func(v any) tap.ServerInHandle { return f(v.([]O)) })
}

// ServerTap returns the tap handle of O's package for opts, or nil when it
// registered none or opts need none.
func ServerTap[O any](opts []O) tap.ServerInHandle {
	f, ok := serverTaps.Load(reflect.TypeFor[O]())
	if !ok {
		return nil
	}
	return f.(func(any) tap.ServerInHandle)(opts)
}

// CalloptContext is set by package callopt's init: for a unary call whose
// callopt options are Timeout options only, it derives the call's context
// (or refuses a negative timeout) and reports handled; for any other call it
// reports not handled, and the callopt interceptor runs.
var CalloptContext func(ctx context.Context, opts []grpc.CallOption) (context.Context, context.CancelFunc, error, bool)

// CalloptCheck is set by package callopt's init: it says why o, a callopt
// option (or a pointer to one), would fail every call it is given to (a
// negative Timeout, invalid Metadata, CompressAbove naming an unregistered
// compressor), or "" when it would not or is no callopt option. Option
// builders use it to refuse such an option among default call options.
var CalloptCheck func(o grpc.CallOption) string
