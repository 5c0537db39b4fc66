package validate_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/interceptors/filter"
	valint "github.com/grpckit/grpckit/interceptors/validate"
	"github.com/grpckit/grpckit/internal/testsrv"
	testpb "github.com/grpckit/grpckit/internal/validatepb"
)

// userService counts what its handlers were given.
type userService struct {
	calls    atomic.Int64 // unary handler runs
	received atomic.Int64 // stream messages received without error
	streams  chan error   // how each stream handler's last Recv ended
}

func newUserService() *userService { return &userService{streams: make(chan error, 4)} }

func (s *userService) CreateUser(_ context.Context, in *testpb.CreateUserRequest) (*testpb.User, error) {
	s.calls.Add(1)
	return &testpb.User{Name: in.GetName(), Email: in.GetEmail()}, nil
}

func (s *userService) Echo(_ context.Context, in *testpb.Ping) (*testpb.Ping, error) {
	s.calls.Add(1)
	return in, nil
}

func (s *userService) Upload(stream grpc.ClientStreamingServer[testpb.Chunk, testpb.Summary]) error {
	var sum testpb.Summary
	for {
		c, err := stream.Recv()
		if err == io.EOF {
			s.streams <- nil
			return stream.SendAndClose(&sum)
		}
		if err != nil {
			s.streams <- err
			return err
		}
		s.received.Add(1)
		sum.Count++
		sum.Bytes += int64(len(c.GetData()))
	}
}

func (s *userService) Chat(stream grpc.BidiStreamingServer[testpb.Chunk, testpb.Chunk]) error {
	for {
		c, err := stream.Recv()
		if err == io.EOF {
			s.streams <- nil
			return nil
		}
		if err != nil {
			s.streams <- err
			return err
		}
		s.received.Add(1)
		if err := stream.Send(c); err != nil {
			return err
		}
	}
}

// wire counts what reached the server's transport: calls begun and
// messages received.
type wire struct{ begins, payloads atomic.Int64 }

func (w *wire) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (w *wire) HandleRPC(_ context.Context, s stats.RPCStats) {
	switch s.(type) {
	case *stats.Begin:
		w.begins.Add(1)
	case *stats.InPayload:
		w.payloads.Add(1)
	}
}
func (w *wire) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (w *wire) HandleConn(context.Context, stats.ConnStats)                       {}

type fixture struct {
	svc    *userService
	wire   *wire
	client *testpb.UserServiceClient
}

// start serves UserService with the server interceptors built from server
// (none when nil) and dials it with the client interceptors built from
// client (none when nil).
func start(t *testing.T, server, client []valint.Option) fixture {
	t.Helper()
	f := fixture{svc: newUserService(), wire: &wire{}}
	sopts := []grpc.ServerOption{grpc.StatsHandler(f.wire)}
	if server != nil {
		sopts = append(sopts,
			grpc.ChainUnaryInterceptor(valint.UnaryServerInterceptor(server...)),
			grpc.ChainStreamInterceptor(valint.StreamServerInterceptor(server...)))
	}
	var dopts []grpc.DialOption
	if client != nil {
		dopts = append(dopts,
			grpc.WithChainUnaryInterceptor(valint.UnaryClientInterceptor(client...)),
			grpc.WithChainStreamInterceptor(valint.StreamClientInterceptor(client...)))
	}
	s := testsrv.Start(t, testsrv.WithServerOptions(sopts...), testsrv.WithDialOptions(dopts...),
		testsrv.WithRegister(func(s *grpc.Server) { testpb.RegisterUserServiceServer(s, f.svc) }))
	f.client = testpb.NewUserServiceClient(s.Conn)
	return f
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type violation struct{ field, desc, reason string }

// violations checks that err is InvalidArgument and returns its BadRequest
// field violations, also checking the buf.validate.Violations detail agrees.
func violations(t *testing.T, err error) []violation {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		t.Fatalf("got %v, want an InvalidArgument status", err)
	}
	var out []violation
	var raw int
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				out = append(out, violation{v.GetField(), v.GetDescription(), v.GetReason()})
			}
		case *validate.Violations:
			raw = len(d.GetViolations())
		default:
			t.Errorf("unexpected detail %T", d)
		}
	}
	if out == nil {
		t.Fatalf("%v: no BadRequest detail", err)
	}
	if raw != len(out) {
		t.Errorf("buf.validate.Violations has %d violations, BadRequest %d", raw, len(out))
	}
	return out
}

func badUser() *testpb.CreateUserRequest {
	return &testpb.CreateUserRequest{
		Name:    "",
		Email:   "not-an-email",
		Age:     200,
		Address: &testpb.Address{Zip: "abc"},
		Tags:    []string{"a", "", "b", "c"},
	}
}

var badUserViolations = []violation{
	{"name", "must be at least 1 characters", "STRING_MIN_LEN"},
	{"email", "must be a valid email address", "STRING_EMAIL"},
	{"age", "must be less than or equal to 150", "UINT32_LTE"},
	{"address.zip", "does not match regex pattern `^[0-9]{5}$`", "STRING_PATTERN"},
	{"tags", "must contain no more than 3 item(s)", "REPEATED_MAX_ITEMS"},
	{"tags[1]", "must be at least 1 characters", "STRING_MIN_LEN"},
}

func sameViolations(t *testing.T, got, want []violation) {
	t.Helper()
	sortV := func(v []violation) []violation {
		v = slices.Clone(v)
		slices.SortFunc(v, func(a, b violation) int { return strings.Compare(a.field+a.desc, b.field+b.desc) })
		return v
	}
	if g, w := sortV(got), sortV(want); !slices.Equal(g, w) {
		t.Errorf("violations:\ngot  %q\nwant %q", g, w)
	}
}

func TestServerUnary(t *testing.T) {
	f := start(t, []valint.Option{}, nil)
	ctx := ctxTimeout(t)

	_, err := f.client.CreateUser(ctx, badUser())
	sameViolations(t, violations(t, err), badUserViolations)
	if n := f.svc.calls.Load(); n != 0 {
		t.Errorf("handler ran %d times for an invalid request, want 0", n)
	}

	// A message-level CEL rule has an empty field path.
	_, err = f.client.CreateUser(ctx, &testpb.CreateUserRequest{Name: "a@example.com", Email: "a@example.com"})
	sameViolations(t, violations(t, err), []violation{{"", "name must not be the email address", "NAME_NOT_EMAIL"}})

	got, err := f.client.CreateUser(ctx, &testpb.CreateUserRequest{Name: "ann", Email: "ann@example.com", Address: &testpb.Address{Zip: "12345"}})
	if err != nil || got.GetName() != "ann" {
		t.Fatalf("valid CreateUser = %v, %v; want ann, nil", got, err)
	}
	if _, err := f.client.Echo(ctx, &testpb.Ping{Text: strings.Repeat("x", 100)}); err != nil {
		t.Fatalf("Echo (no rules): %v", err)
	}
	if n := f.svc.calls.Load(); n != 2 {
		t.Errorf("handler ran %d times, want 2", n)
	}
}

func TestServerStreams(t *testing.T) {
	f := start(t, []valint.Option{}, nil)
	ctx := ctxTimeout(t)

	up, err := f.client.Upload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*testpb.Chunk{{Data: []byte("ok"), Seq: 0}, {Data: []byte("fine"), Seq: 1}, {Data: []byte("too long!"), Seq: 2}} {
		if err := up.Send(c); err != nil && err != io.EOF {
			t.Fatalf("Send: %v", err)
		}
	}
	_, err = up.CloseAndRecv()
	sameViolations(t, violations(t, err), []violation{{"data", "must be at most 8 bytes", "BYTES_MAX_LEN"}})
	if herr := <-f.svc.streams; status.Code(herr) != codes.InvalidArgument {
		t.Errorf("handler's Recv ended with %v, want InvalidArgument", herr)
	}
	if n := f.svc.received.Load(); n != 2 {
		t.Errorf("handler received %d valid chunks, want 2", n)
	}

	chat, err := f.client.Chat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := chat.Send(&testpb.Chunk{Seq: 7}); err != nil {
		t.Fatal(err)
	}
	if c, err := chat.Recv(); err != nil || c.GetSeq() != 7 {
		t.Fatalf("Chat echo = %v, %v", c, err)
	}
	if err := chat.Send(&testpb.Chunk{Seq: -1}); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	_, err = chat.Recv()
	sameViolations(t, violations(t, err), []violation{{"seq", "must be greater than or equal to 0", "INT64_GTE"}})
	<-f.svc.streams
}

func TestClientUnaryFailsFast(t *testing.T) {
	f := start(t, nil, []valint.Option{})
	ctx := ctxTimeout(t)

	_, err := f.client.CreateUser(ctx, badUser())
	sameViolations(t, violations(t, err), badUserViolations)
	if b, p := f.wire.begins.Load(), f.wire.payloads.Load(); b != 0 || p != 0 {
		t.Errorf("the server saw %d calls and %d messages, want none", b, p)
	}

	if _, err := f.client.CreateUser(ctx, &testpb.CreateUserRequest{Name: "ann", Email: "ann@example.com"}); err != nil {
		t.Fatalf("valid CreateUser: %v", err)
	}
	if b := f.wire.begins.Load(); b != 1 {
		t.Errorf("the server saw %d calls, want 1", b)
	}
}

func TestClientStreamFailsFast(t *testing.T) {
	f := start(t, nil, []valint.Option{})
	ctx := ctxTimeout(t)

	up, err := f.client.Upload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Send(&testpb.Chunk{Data: []byte("ok")}); err != nil {
		t.Fatalf("valid Send: %v", err)
	}
	// Let the valid chunk reach the handler first: the invalid one cancels
	// the stream, which could otherwise overtake it.
	for end := time.Now().Add(10 * time.Second); f.svc.received.Load() < 1 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	err = up.Send(&testpb.Chunk{Data: []byte("too long!")})
	sameViolations(t, violations(t, err), []violation{{"data", "must be at most 8 bytes", "BYTES_MAX_LEN"}})
	if again := up.Send(&testpb.Chunk{Data: []byte("ok")}); !errors.Is(again, err) && status.Code(again) != codes.InvalidArgument {
		t.Errorf("Send after the failure = %v, want the same error", again)
	}
	if _, rerr := up.CloseAndRecv(); status.Code(rerr) != codes.InvalidArgument {
		t.Errorf("CloseAndRecv after the failure = %v, want InvalidArgument", rerr)
	}
	// The server got the valid chunk, then the cancellation; never the
	// invalid one.
	herr := <-f.svc.streams
	if status.Code(herr) != codes.Canceled {
		t.Errorf("handler's Recv ended with %v, want Canceled", herr)
	}
	if p, n := f.wire.payloads.Load(), f.svc.received.Load(); p != 1 || n != 1 {
		t.Errorf("server received %d messages (%d by the handler), want 1", p, n)
	}

	// A valid stream still works end to end.
	up, err = f.client.Upload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := up.Send(&testpb.Chunk{Data: []byte("1234")}); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := up.CloseAndRecv()
	if err != nil || sum.GetCount() != 3 || sum.GetBytes() != 12 {
		t.Fatalf("CloseAndRecv = %v, %v; want 3 chunks, 12 bytes", sum, err)
	}
	<-f.svc.streams
}

func TestFilter(t *testing.T) {
	skip := filter.Not(filter.Method(testpb.CreateUserMethod))
	f := start(t, []valint.Option{valint.WithFilter(skip)}, []valint.Option{valint.WithFilter(skip)})
	ctx := ctxTimeout(t)
	if _, err := f.client.CreateUser(ctx, badUser()); err != nil {
		t.Fatalf("filtered-out CreateUser: %v, want it to reach the handler", err)
	}
	up, err := f.client.Upload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = up.Send(&testpb.Chunk{Seq: -5})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("Upload is still validated: got %v, want InvalidArgument", err)
	}
	<-f.svc.streams
}

func TestWithValidator(t *testing.T) {
	v, err := protovalidate.New(protovalidate.WithFailFast())
	if err != nil {
		t.Fatal(err)
	}
	f := start(t, []valint.Option{valint.WithValidator(v)}, nil)
	_, err = f.client.CreateUser(ctxTimeout(t), badUser())
	if got := violations(t, err); len(got) != 1 {
		t.Errorf("fail-fast validator gave %d violations, want 1", len(got))
	}
}

// brokenValidator fails as a rule that does not compile would.
type brokenValidator struct{}

func (brokenValidator) Validate(proto.Message, ...protovalidate.ValidationOption) error {
	return &protovalidate.CompilationError{}
}

func TestBrokenRulesAreInternal(t *testing.T) {
	f := start(t, []valint.Option{valint.WithValidator(brokenValidator{})}, nil)
	ctx := ctxTimeout(t)
	if _, err := f.client.CreateUser(ctx, &testpb.CreateUserRequest{Name: "ann", Email: "ann@example.com"}); status.Code(err) != codes.Internal {
		t.Errorf("got %v, want Internal", err)
	}
	// Messages without rules never reach the validator.
	if _, err := f.client.Echo(ctx, &testpb.Ping{}); err != nil {
		t.Errorf("Echo: %v, want it to pass without the validator", err)
	}
}

func TestNestedRulesAndOddValues(t *testing.T) {
	intercept := valint.UnaryServerInterceptor()
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.S/M"}
	ok := func(context.Context, any) (any, error) { return "handled", nil }
	// Outer has no rules itself, but the Address it holds has.
	_, err := intercept(context.Background(), &testpb.Outer{Address: &testpb.Address{Zip: "x"}}, info, ok)
	sameViolations(t, violations(t, err), []violation{{"address.zip", "does not match regex pattern `^[0-9]{5}$`", "STRING_PATTERN"}})
	// A typed nil with rules is checked as the empty message it is sent
	// as (TestNilMessageIsEmpty); one without rules passes.
	for _, req := range []any{nil, "not a proto", (*testpb.Outer)(nil), &testpb.Outer{}} {
		if resp, err := intercept(context.Background(), req, info, ok); err != nil || resp != "handled" {
			t.Errorf("request %#v: got %v, %v; want it handled", req, resp, err)
		}
	}
}

func TestNoRulesAllocations(t *testing.T) {
	if testsrv.RaceEnabled {
		t.Skip("allocation counts are inexact under the race detector")
	}
	intercept := valint.UnaryServerInterceptor()
	info := &grpc.UnaryServerInfo{FullMethod: testpb.EchoMethod}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	req := &testpb.Ping{Text: "x", Inner: &testpb.Inner{Value: "y"}, ByName: map[string]*testpb.Inner{"a": {}}}
	ctx := context.Background()
	_, _ = intercept(ctx, req, info, handler)
	if n := testing.AllocsPerRun(1000, func() { _, _ = intercept(ctx, req, info, handler) }); n != 0 {
		t.Errorf("a message without rules costs %.1f allocations, want 0", n)
	}
}

func TestValidate(t *testing.T) {
	var nilOpt valint.Option
	var nilMatcher filter.MatchFunc
	var nilValidator *brokenPtr
	err := valint.Validate(nilOpt, valint.WithFilter(nil), valint.WithFilter(nilMatcher), valint.WithValidator(nilValidator), valint.WithValidator(nil))
	want := "validate: option 1 is nil\n" +
		"validate: WithFilter: matcher is nil\n" +
		"validate: WithFilter: matcher is nil\n" +
		"validate: WithValidator: validator is nil\n" +
		"validate: WithValidator: validator is nil"
	if err == nil || err.Error() != want {
		t.Errorf("Validate:\ngot  %v\nwant %s", err, want)
	}
	if err := valint.Validate(valint.WithFilter(filter.SkipHealthCheck()), valint.WithValidator(protovalidate.GlobalValidator)); err != nil {
		t.Errorf("Validate(valid) = %v", err)
	}
}

type brokenPtr struct{}

func (*brokenPtr) Validate(proto.Message, ...protovalidate.ValidationOption) error { return nil }

func TestNilMessageIsEmpty(t *testing.T) {
	// A nil message goes on the wire as an empty one, so it must be checked
	// as one: an empty CreateUserRequest breaks name's min_len.
	var nilReq *testpb.CreateUserRequest
	f := start(t, nil, []valint.Option{})
	_, err := f.client.CreateUser(ctxTimeout(t), &testpb.CreateUserRequest{})
	want := violations(t, err)
	_, err = f.client.CreateUser(ctxTimeout(t), nilReq)
	sameViolations(t, violations(t, err), want)
	if got := f.wire.begins.Load(); got != 0 {
		t.Errorf("client: %d calls reached the server, want 0", got)
	}
}
