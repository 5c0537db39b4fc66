package callopt

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/opterr"
	"github.com/grpckit/grpckit/internal/streamend"
)

// UnaryClientInterceptor runs the hooks of the callopt options among a unary
// call's options and strips those options before calling the invoker. It must
// be the outermost client interceptor so that after-hooks see the final
// result. A nil call option, or a nil pointer to a call option (a callopt
// option or grpc-go's own), fails the call with codes.InvalidArgument
// before anything is sent, where grpc-go would panic; a non-nil pointer to
// a callopt option works as the option itself. With no callopt option
// present it adds no allocation; with only Timeout options it costs what
// the caller's own context.WithTimeout would (no hook state is built, and
// the options go on unchanged: grpc-go ignores them, and a Timeout applied
// twice never extends the first bound).
func UnaryClientInterceptor() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if ctx, cancel, err, ok := timeoutOnly(ctx, opts); ok {
			if cancel != nil {
				defer cancel()
			}
			if err != nil {
				return err
			}
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		r := newRun(ctx, method, opts)
		r.call.Request, r.call.Reply = req, reply
		err := r.before()
		if err == nil {
			err = invoker(r.call.ctx, method, req, reply, cc, r.grpcOpts...)
		}
		if perr := r.finish(err); perr != nil {
			return perr
		}
		return err
	}
}

// StreamClientInterceptor runs the hooks of the callopt options among a
// stream's options and strips those options before calling the streamer. The
// after-hooks run once the stream has ended, with the error its caller got:
// RecvMsg returned io.EOF (nil) or an error, the single response of a
// client-streaming call arrived, SendMsg failed with an error other than
// io.EOF (an interceptor inside this one, such as validation, may fail it
// while grpc-go sees a cancelled stream), the stream could not be created, or
// its context (with the Timeout, if any) was done, which covers an abandoned
// stream without a goroutine of ours. These are the ends the logging, metrics
// and tracing interceptors observe (internal/streamend), so the hooks and
// those interceptors agree; the hooks also wait for grpc-go to have finished
// the stream (grpc.OnFinish), so Call's Header, Trailer and Peer are final.
// The Timeout's context is released then, after the interceptors inside have
// seen the end. A stream that ends otherwise (its caller stops after a Header
// error) keeps the hooks and the Timeout pending until its context is done.
// A RecvMsg that ends the stream returns only once the after-hooks have
// run, wherever they ran, so a Capture is complete when the caller has its
// error or io.EOF (after a failed SendMsg, call RecvMsg to get there); the
// exception is a RecvMsg error made up by an interceptor inside this one
// while the stream's context is live, which grpc-go has not seen: the
// hooks then run when grpc-go finishes the stream (the context is done).
// Nil options are refused as by UnaryClientInterceptor. A stream with
// callopt options is wrapped; with none present the interceptor adds no
// allocation.
func StreamClientInterceptor() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if !hasOption(opts) {
			return streamer(ctx, desc, cc, method, opts...)
		}
		r := newRun(ctx, method, opts)
		r.call.Stream = desc
		if err := r.before(); err != nil {
			return nil, r.failed(err)
		}
		s := &hookStream{r: r}
		s.ran.Add(1)
		r.grpcOpts = append(r.grpcOpts, grpc.OnFinish(s.grpcFinished))
		cs, err := streamer(r.call.ctx, desc, cc, method, r.grpcOpts...)
		if err != nil {
			return nil, r.failed(err)
		}
		s.Start(r.call.ctx, cs, desc, s)
		return s, nil
	}
}

// hookStream runs the after-hooks and releases the Timeout at the second of
// two events: the stream's first terminal event as its caller saw it
// (streamend's rules), after the interceptors inside have seen it, and
// grpc-go's OnFinish, after which Call's header, trailer and peer are
// written. The error is the caller's. OnFinish alone runs inside RecvMsg,
// before the inner interceptors see the end (releasing the Timeout there
// made them report Canceled), and with grpc-go's error (Canceled for a
// stream an inner interceptor cancelled after failing SendMsg).
type hookStream struct {
	streamend.Stream[*hookStream]
	r      *run
	events atomic.Int32
	err    error          // the caller's; written before its event is counted
	ran    sync.WaitGroup // done once the after-hooks have run
	grpc   atomic.Bool    // grpc-go's OnFinish has started
}

// EndStream implements streamend.Ender.
func (s *hookStream) EndStream(_ context.Context, err error) {
	s.err = err
	s.event()
}

func (s *hookStream) grpcFinished(error) {
	s.grpc.Store(true)
	s.event()
}

// RecvMsg is streamend's, except that a RecvMsg that ends the stream
// returns only once the after-hooks have run, when they are sure to run
// promptly, and once an after-hook has panicked it returns the panic's
// error. The hooks may run on grpc-go's or the context's goroutine, and
// the caller reads Capture's Call after this: without the wait the two
// raced. They are sure to run once streamend's end has come (it has, here
// or on the AfterFunc goroutine) and grpc-go's OnFinish has started or
// will: grpc-go finishes a stream whose context is done on its own
// goroutine. An error an inner interceptor made up, with the context
// live, may leave grpc-go's stream unfinished until the caller cancels:
// no wait then, or the caller would wait for itself.
func (s *hookStream) RecvMsg(m any) error {
	err := s.Stream.RecvMsg(m)
	if streamend.RecvEnds(err, s.r.call.Stream.ServerStreams) && (s.grpc.Load() || s.CallContext().Err() != nil) {
		s.ran.Wait()
	}
	if p := s.r.panicked.Load(); p != nil {
		return p
	}
	return err
}

// SendMsg is streamend's, except that once an after-hook has panicked it
// returns the panic's error.
func (s *hookStream) SendMsg(m any) error {
	err := s.Stream.SendMsg(m)
	if p := s.r.panicked.Load(); p != nil {
		return p
	}
	return err
}

func (s *hookStream) event() {
	if s.events.Add(1) == 2 {
		s.r.finish(s.err)
		s.ran.Done()
	}
}

func hasOption(opts []grpc.CallOption) bool {
	_, kind := scan(opts)
	return kind != none
}

// timeoutOnly handles a call whose callopt options are Timeout options only
// (or none): no hook reads the call, so it is bounded and the options go on
// as they are (grpc-go ignores callopt options; a Timeout seen twice never
// extends the first bound). It reports false for calls with hooks.
func timeoutOnly(ctx context.Context, opts []grpc.CallOption) (context.Context, context.CancelFunc, error, bool) {
	d, kind := scan(opts)
	switch {
	case kind == hooks:
		return ctx, nil, nil, false
	case d < 0:
		return ctx, nil, errNegativeTimeout(d), true
	case d == 0:
		return ctx, nil, nil, true
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, nil, true
}

func init() {
	chain.CalloptContext = timeoutOnly
	chain.CalloptCheck = check
}

// check says why o would fail every call it is given to, or "" (for any
// option that is not a callopt option too).
func check(o grpc.CallOption) string {
	switch o := o.(type) {
	case *TimeoutOption:
		if o != nil {
			return check(*o)
		}
	case TimeoutOption:
		if o.D < 0 {
			return fmt.Sprintf("callopt.Timeout(%v): negative timeout (zero means none)", o.D)
		}
	case *HookOption:
		if o != nil {
			return check(*o)
		}
	case HookOption:
		if o.check != nil {
			return o.check()
		}
	}
	return ""
}

// What the callopt options of a call ask for.
const (
	none     = iota // no callopt option
	timeouts        // Timeout options only: d is the last one's
	hooks           // hooks (or Capture), or an option to refuse: the full run
)

// scan classifies opts without allocating. A nil option or a nil pointer
// (grpc-go would panic on it, or ignore a nil callopt option) asks for the
// full run, which refuses it.
func scan(opts []grpc.CallOption) (d time.Duration, kind int) {
	for _, o := range opts {
		switch o := o.(type) {
		case TimeoutOption:
			d = o.D
			if kind == none {
				kind = timeouts
			}
		case *TimeoutOption:
			if o == nil {
				kind = hooks
				continue
			}
			d = o.D
			if kind == none {
				kind = timeouts
			}
		case Option, nil:
			kind = hooks
		default:
			if opterr.IsNil(o) {
				kind = hooks
			}
		}
	}
	return d, kind
}

func errNegativeTimeout(d time.Duration) error {
	return status.Errorf(codes.InvalidArgument, "callopt: Timeout: negative timeout %v", d)
}

// run is the state of one call that carries callopt options.
type run struct {
	call     Call
	hooks    []hook
	grpcOpts []grpc.CallOption
	cancel   context.CancelFunc
	err      error // an invalid option, reported by before
	done     atomic.Bool
	panicked atomic.Pointer[panicError] // an after-hook's, for a stream's caller
}

// hook is a hook option of the call and where it stood among the call's
// grpc options: the options its before-hook adds to Call.Options go there,
// so that a grpc option given after it (per call, when the hook is a
// default) still wins.
type hook struct {
	HookOption
	at    int // len(grpcOpts) when the option was seen
	added int // len(Call.Options) after its before-hook ran
}

func newRun(ctx context.Context, method string, opts []grpc.CallOption) *run {
	r := &run{call: Call{Method: method, Start: time.Now(), ctx: ctx}}
	timeout, hasTimeout := time.Duration(0), false
	r.grpcOpts = make([]grpc.CallOption, 0, len(opts)+3)
	for _, o := range opts {
		switch o := o.(type) {
		case HookOption:
			r.addHook(o)
		case *HookOption:
			if r.refuseNil(o) {
				continue
			}
			r.addHook(*o)
		case CaptureOption:
			r.addHook(o.hook())
		case *CaptureOption:
			if r.refuseNil(o) {
				continue
			}
			r.addHook(o.hook())
		case TimeoutOption:
			timeout, hasTimeout = o.D, true
		case *TimeoutOption:
			if r.refuseNil(o) {
				continue
			}
			timeout, hasTimeout = o.D, true
		case Option:
		default:
			if r.refuseNil(o) {
				continue
			}
			r.grpcOpts = append(r.grpcOpts, o)
		}
	}
	switch {
	case r.err != nil:
	case !hasTimeout || timeout == 0:
	case timeout < 0:
		r.err = errNegativeTimeout(timeout)
	default:
		r.call.ctx, r.cancel = context.WithTimeout(ctx, timeout)
	}
	return r
}

func (r *run) addHook(h HookOption) {
	r.hooks = append(r.hooks, hook{HookOption: h, at: len(r.grpcOpts)})
}

// refuseNil records an error for a nil option or a nil pointer, which
// grpc-go would panic on (a nil pointer to a callopt option would do
// nothing), and reports whether o was one.
func (r *run) refuseNil(o grpc.CallOption) bool {
	if !opterr.IsNil(o) {
		return false
	}
	if r.err == nil {
		what := "nil"
		if o != nil {
			what = fmt.Sprintf("a nil %T", o)
		}
		r.err = status.Errorf(codes.InvalidArgument, "callopt: a call option is %s", what)
	}
	return true
}

// before runs the before-hooks in order and adds the options that fill Call.
func (r *run) before() error {
	if r.err != nil {
		return r.err
	}
	for i := range r.hooks {
		h := &r.hooks[i]
		if h.before != nil {
			if err := callBefore(i+1, h.before, &r.call); err != nil {
				return err
			}
		}
		h.added = len(r.call.Options)
	}
	for i, o := range r.call.Options {
		if err := checkAdded(i, o); err != nil {
			return err
		}
	}
	r.placeAdded()
	for _, h := range r.hooks {
		if h.after != nil { // only after-hooks read the header, trailer and peer
			r.grpcOpts = append(r.grpcOpts, grpc.Header(&r.call.Header), grpc.Trailer(&r.call.Trailer), grpc.Peer(&r.call.Peer))
			break
		}
	}
	return nil
}

// placeAdded puts the options the before-hooks added among the call's grpc
// options, each hook's where the hook stood.
func (r *run) placeAdded() {
	added := r.call.Options
	if len(added) == 0 {
		return
	}
	atEnd, prev := true, 0
	for _, h := range r.hooks {
		if h.added > prev && h.at < len(r.grpcOpts) {
			atEnd = false
			break
		}
		prev = h.added
	}
	if atEnd { // no grpc option after a hook that added one: the common case
		r.grpcOpts = append(r.grpcOpts, added...)
		return
	}
	out := make([]grpc.CallOption, 0, len(r.grpcOpts)+len(added)+3)
	at, from := 0, 0
	for _, h := range r.hooks {
		// A later hook may have shortened Call.Options.
		to := max(min(h.added, len(added)), from)
		out = append(out, r.grpcOpts[at:h.at]...)
		out = append(out, added[from:to]...)
		at, from = h.at, to
	}
	out = append(out, r.grpcOpts[at:]...)
	r.grpcOpts = append(out, added[from:]...)
}

// callBefore runs before-hook n and gives its error a status, recovering
// a panic (in the hook, or in its error's methods).
func callBefore(n int, f func(*Call) error, c *Call) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError("before", n, v, nil)
		}
	}()
	if err := f(c); err != nil {
		if opterr.IsNil(err) { // `var e *T; return e`
			return status.Errorf(codes.Internal, "callopt: before-hook %d returned a nil %T as its error", n, err)
		}
		return toStatus(err)
	}
	return nil
}

// callAfter runs an after-hook, recovering its panic.
func callAfter(f func(*Call), c *Call) (p any) {
	defer func() {
		if v := recover(); v != nil {
			p = v
		}
	}()
	f(c)
	return nil
}

// checkAdded refuses an option a before-hook appended to Call.Options that
// grpc-go would panic on (nil) or ignore (a callopt option: its hooks run
// only when given to the call).
func checkAdded(i int, o grpc.CallOption) error {
	if opterr.IsNil(o) {
		return status.Errorf(codes.Internal, "callopt: before-hook: Call.Options[%d] is nil", i)
	}
	if _, ok := o.(Option); ok {
		return status.Errorf(codes.Internal, "callopt: before-hook: Call.Options[%d] is %T: callopt options run only when given to the call", i, o)
	}
	return nil
}

// finish runs the after-hooks exactly once, each recovered, and releases
// the timeout. It returns the error of the first after-hook that panicked
// (nil if none did, or if the hooks had run already).
func (r *run) finish(err error) error {
	if !r.done.CompareAndSwap(false, true) {
		return nil
	}
	if r.cancel != nil {
		r.cancel()
	}
	r.call.Err = err
	r.call.Duration = time.Since(r.call.Start)
	var perr *panicError
	for i, h := range r.hooks {
		if h.after == nil {
			continue
		}
		if p := callAfter(h.after, &r.call); p != nil {
			if perr == nil {
				perr = newPanicError("after", i+1, p, err)
			} else {
				perr.more++
			}
		}
	}
	if perr == nil {
		return nil
	}
	perr.st = status.New(codes.Internal, perr.message())
	r.panicked.Store(perr)
	return perr
}

// failed runs the after-hooks of a stream that failed with err before it
// was returned, and gives the error for its caller.
func (r *run) failed(err error) error {
	if perr := r.finish(err); perr != nil {
		return perr
	}
	return err
}

// panicError is the codes.Internal error of a call whose hook panicked. It
// unwraps to the panic value when that is an error and to the call's own
// error (an after-hook's panic).
type panicError struct {
	st    *status.Status
	where string // "before" or "after"
	n     int    // the hook, counted from 1
	value any
	call  error // the call's own error
	more  int   // other after-hooks that panicked too
}

func newPanicError(where string, n int, value any, call error) *panicError {
	e := &panicError{where: where, n: n, value: value, call: call}
	e.st = status.New(codes.Internal, e.message())
	return e
}

func (e *panicError) message() string {
	msg := fmt.Sprintf("callopt: %s-hook %d panicked: %v", e.where, e.n, e.value)
	if e.more > 0 {
		msg += fmt.Sprintf(" (and %d more after-hooks)", e.more)
	}
	if e.call != nil {
		msg += "; the call's own error: " + e.call.Error()
	}
	return msg
}

func (e *panicError) Error() string              { return e.st.Err().Error() }
func (e *panicError) GRPCStatus() *status.Status { return e.st }
func (e *panicError) Unwrap() []error {
	var errs []error
	if v, ok := e.value.(error); ok {
		errs = append(errs, v)
	}
	if e.call != nil {
		errs = append(errs, e.call)
	}
	return errs
}

// toStatus gives a before-hook's error the code grpc-go would give it,
// keeping the hook's error reachable through Unwrap.
func toStatus(err error) error {
	if st, ok := status.FromError(err); ok {
		if st.Code() != codes.OK {
			return err
		}
		return wrapStatus(codes.Unknown, "callopt: before-hook", err) // never a non-nil error with code OK
	}
	if st := status.FromContextError(err); st.Code() != codes.Unknown {
		return &hookError{st: st, err: err}
	}
	return wrapStatus(codes.Internal, "callopt: before-hook", err)
}

// hookError is a status error that keeps the error it was made from.
type hookError struct {
	st  *status.Status
	err error
}

func wrapStatus(c codes.Code, prefix string, err error) error {
	return &hookError{st: status.New(c, prefix+": "+err.Error()), err: err}
}

func (e *hookError) Error() string              { return e.st.Err().Error() }
func (e *hookError) GRPCStatus() *status.Status { return e.st }
func (e *hookError) Unwrap() error              { return e.err }
