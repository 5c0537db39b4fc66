package dialopt

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/balancer"
	_ "google.golang.org/grpc/balancer/roundrobin" // registers round_robin
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grpckit/grpckit/internal/semconv"
)

// grpcMaxAttempts is grpc-go's default cap on attempts per call; a retry
// policy above it is cut down silently unless WithMaxCallAttempts raises it.
const grpcMaxAttempts = 5

// Load-balancing policies accepted by WithLoadBalancing.
const (
	PickFirst          = "pick_first"
	RoundRobin         = "round_robin"
	WeightedRoundRobin = "weighted_round_robin"
)

// RetryPolicy is grpc-go's transparent retry policy, typed. grpc-go retries
// only before response headers arrive and honours grpc-retry-pushback-ms.
type RetryPolicy struct {
	// MaxAttempts counts the original call; at least 2. Above 5 it needs
	// WithMaxCallAttempts, since grpc-go caps attempts at 5 silently.
	MaxAttempts int
	// InitialBackoff and MaxBackoff bound the randomized delay between
	// attempts; both positive.
	InitialBackoff, MaxBackoff time.Duration
	// BackoffMultiplier grows the delay after each attempt; positive. Zero
	// means 2.
	BackoffMultiplier float64
	// RetryableCodes are the status codes that trigger a retry; not empty,
	// not OK.
	RetryableCodes []codes.Code
}

// MethodConfig is one entry of the service config: settings for a method, a
// whole service (Method empty) or every call (both empty). grpc-go looks up
// "/service/method", then "/service/", then the catch-all.
type MethodConfig struct {
	// Service is the proto service name, "package.Service" (not a Go type
	// such as TestServiceClient).
	Service string
	// Method is the proto method name; empty means every method of Service.
	Method string
	// Timeout bounds each call; zero means none. grpc-go applies it after the
	// interceptors, so they cannot see it; WithDefaultTimeout is visible to
	// them.
	Timeout time.Duration
	// WaitForReady makes calls wait for a ready connection instead of failing
	// fast; nil leaves grpc's default (fail fast).
	WaitForReady *bool
	// MaxRequestBytes and MaxResponseBytes limit message sizes; zero means
	// grpc's defaults.
	MaxRequestBytes, MaxResponseBytes int
	// Retry is the retry policy; nil means no retries.
	Retry *RetryPolicy
}

// WithRetry retries every call by p (the catch-all method config). A
// WithMethodConfig entry for a service or method takes precedence for its
// calls, as grpc-go's lookup order says.
func WithRetry(p RetryPolicy) Option {
	return optionFunc(func(c *config) {
		if err := p.validate(); err != nil {
			c.fail("WithRetry", "%v", err)
			return
		}
		for i := range c.methods {
			if c.methods[i].Service == "" && c.methods[i].Method == "" {
				c.methods[i].Retry = &p
				c.methodSrc[i] = "WithRetry"
				return
			}
		}
		c.methods = append(c.methods, MethodConfig{Retry: &p})
		c.methodSrc = append(c.methodSrc, "WithRetry")
	})
}

// WithMethodConfig adds service config entries. A later entry for the same
// service and method replaces an earlier one.
func WithMethodConfig(mcs ...MethodConfig) Option {
	return optionFunc(func(c *config) {
		for _, mc := range mcs {
			if err := mc.validate(); err != nil {
				c.fail("WithMethodConfig", "%v", err)
				return
			}
			replaced := false
			for i := range c.methods {
				if c.methods[i].Service == mc.Service && c.methods[i].Method == mc.Method {
					c.methods[i], c.methodSrc[i], replaced = mc, "WithMethodConfig", true
				}
			}
			if !replaced {
				c.methods = append(c.methods, mc)
				c.methodSrc = append(c.methodSrc, "WithMethodConfig")
			}
		}
	})
}

// WithLoadBalancing picks the load-balancing policy: PickFirst (grpc's
// default), RoundRobin, WeightedRoundRobin, or any other registered policy.
// WeightedRoundRobin needs the servers to report ORCA load and the program to
// import google.golang.org/grpc/balancer/weightedroundrobin, which registers
// it; this package does not, to keep ORCA's xDS protos out of binaries that do
// not use it.
func WithLoadBalancing(policy string) Option {
	return optionFunc(func(c *config) {
		if balancer.Get(policy) == nil {
			hint := ""
			if policy == WeightedRoundRobin {
				hint = " (import google.golang.org/grpc/balancer/weightedroundrobin to register it)"
			}
			c.fail("WithLoadBalancing", "no load-balancing policy registered as %q%s", policy, hint)
			return
		}
		c.lb = policy
	})
}

// WithMaxCallAttempts raises grpc-go's cap on attempts per call (default 5),
// which retry policies need for MaxAttempts above 5. n must be at least 2.
func WithMaxCallAttempts(n int) Option {
	return optionFunc(func(c *config) {
		if n < 2 {
			c.fail("WithMaxCallAttempts", "n must be at least 2, got %d", n)
			return
		}
		c.maxAttempts = n
	})
}

func (p *RetryPolicy) validate() error {
	switch {
	case p.MaxAttempts < 2:
		return fmt.Errorf("MaxAttempts %d: must be at least 2 (it counts the first attempt)", p.MaxAttempts)
	case p.InitialBackoff <= 0:
		return fmt.Errorf("InitialBackoff %v: must be positive", p.InitialBackoff)
	case p.MaxBackoff <= 0:
		return fmt.Errorf("MaxBackoff %v: must be positive", p.MaxBackoff)
	case p.MaxBackoff < p.InitialBackoff:
		return fmt.Errorf("MaxBackoff %v is below InitialBackoff %v", p.MaxBackoff, p.InitialBackoff)
	case p.BackoffMultiplier < 0 || math.IsNaN(p.BackoffMultiplier) || math.IsInf(p.BackoffMultiplier, 0):
		return fmt.Errorf("BackoffMultiplier %v: must be a finite positive number (zero means 2)", p.BackoffMultiplier)
	case len(p.RetryableCodes) == 0:
		return fmt.Errorf("RetryableCodes is empty: grpc-go would reject the policy")
	}
	for _, code := range p.RetryableCodes {
		if code == codes.OK || code > codes.Unauthenticated {
			return fmt.Errorf("RetryableCodes: %v cannot be retried", code)
		}
	}
	return nil
}

// checkAttempts is done once all options are applied, since
// WithMaxCallAttempts may come after WithRetry.
func (p *RetryPolicy) checkAttempts(maxAttempts int) error {
	limit := grpcMaxAttempts
	if maxAttempts > 0 {
		limit = maxAttempts
	}
	if p.MaxAttempts > limit {
		return fmt.Errorf("MaxAttempts %d exceeds the call-attempt limit %d, which grpc-go would apply silently; raise it with WithMaxCallAttempts", p.MaxAttempts, limit)
	}
	return nil
}

func (mc *MethodConfig) validate() error {
	if mc.Service == "" && mc.Method != "" {
		return fmt.Errorf("method %q without a service", mc.Method)
	}
	if mc.Service != "" {
		if err := checkServiceName(mc.Service); err != nil {
			return err
		}
	}
	if mc.Method != "" && !protoreflect.Name(mc.Method).IsValid() {
		return fmt.Errorf("method %q is not a proto method name", mc.Method)
	}
	if err := checkMethodName(mc.Service, mc.Method); err != nil {
		return err
	}
	if mc.Timeout < 0 {
		return fmt.Errorf("%s: Timeout %v is negative", mc.name(), mc.Timeout)
	}
	if mc.MaxRequestBytes < 0 || mc.MaxResponseBytes < 0 {
		return fmt.Errorf("%s: negative message size limit", mc.name())
	}
	if mc.Retry != nil {
		if err := mc.Retry.validate(); err != nil {
			return fmt.Errorf("%s: retry: %w", mc.name(), err)
		}
	}
	return nil
}

func (mc *MethodConfig) name() string {
	if mc.Service == "" {
		return "all methods"
	}
	return "/" + mc.Service + "/" + mc.Method
}

// checkServiceName accepts proto service names and rejects what looks like a
// Go type: service config names are matched against the proto
// "package.Service", so a Go name silently matches no call.
func checkServiceName(s string) error {
	if d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(s)); err == nil {
		if _, ok := d.(protoreflect.ServiceDescriptor); ok {
			return nil
		}
		return fmt.Errorf("service %q names a %T, not a service", s, d)
	}
	for _, suffix := range []string{"Client", "Server"} {
		if base, ok := strings.CutSuffix(s, suffix); ok {
			if hint := findService(base); hint != "" {
				return fmt.Errorf("service %q looks like a Go type; use the proto service name %q", s, hint)
			}
		}
	}
	if hint := findService(s); hint != "" && hint != s {
		return fmt.Errorf("service %q looks like a Go type; use the proto service name %q", s, hint)
	}
	if !protoreflect.FullName(s).IsValid() || strings.ContainsAny(s, "*/") {
		return fmt.Errorf("service %q is not a proto service name (want package.Service)", s)
	}
	return nil
}

// checkMethodName refuses a method that the service, when its descriptor
// is registered, does not have: grpc-go matches names exactly, so
// "unaryCall" for UnaryCall would silently configure nothing. Services not
// registered in this binary are left alone.
func checkMethodName(service, method string) error {
	if service == "" || method == "" {
		return nil
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return nil
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok || sd.Methods().ByName(protoreflect.Name(method)) != nil {
		return nil
	}
	hint := ""
	for i := 0; i < sd.Methods().Len(); i++ {
		if name := string(sd.Methods().Get(i).Name()); strings.EqualFold(name, method) {
			hint = fmt.Sprintf(" (did you mean %q?)", name)
		}
	}
	return fmt.Errorf("service %q has no method %q%s: the entry would match no call", service, method, hint)
}

// findService looks for a registered service whose short name is the last
// element of s (for "testgrpc.TestService" it finds "grpc.testing.TestService").
func findService(s string) string {
	short := s
	if i := strings.LastIndex(s, "."); i >= 0 {
		short = s[i+1:]
	}
	var found string
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		svcs := fd.Services()
		for i := 0; i < svcs.Len(); i++ {
			if string(svcs.Get(i).Name()) == short {
				found = string(svcs.Get(i).FullName())
				return false
			}
		}
		return true
	})
	return found
}

type jsonName struct {
	Service string `json:"service,omitempty"`
	Method  string `json:"method,omitempty"`
}

type jsonRetry struct {
	MaxAttempts          int      `json:"maxAttempts"`
	InitialBackoff       string   `json:"initialBackoff"`
	MaxBackoff           string   `json:"maxBackoff"`
	BackoffMultiplier    float64  `json:"backoffMultiplier"`
	RetryableStatusCodes []string `json:"retryableStatusCodes"`
}

type jsonMethod struct {
	Name                    []jsonName `json:"name"`
	WaitForReady            *bool      `json:"waitForReady,omitempty"`
	Timeout                 string     `json:"timeout,omitempty"`
	MaxRequestMessageBytes  int        `json:"maxRequestMessageBytes,omitempty"`
	MaxResponseMessageBytes int        `json:"maxResponseMessageBytes,omitempty"`
	RetryPolicy             *jsonRetry `json:"retryPolicy,omitempty"`
}

type jsonServiceConfig struct {
	LoadBalancingConfig []map[string]struct{} `json:"loadBalancingConfig,omitempty"`
	MethodConfig        []jsonMethod          `json:"methodConfig,omitempty"`
}

// serviceConfigJSON renders the typed settings as the JSON grpc-go accepts;
// "" when there is nothing to say.
func (c *config) serviceConfigJSON() (string, error) {
	if c.lb == "" && len(c.methods) == 0 {
		return "", nil
	}
	var sc jsonServiceConfig
	if c.lb != "" {
		sc.LoadBalancingConfig = []map[string]struct{}{{c.lb: {}}}
	}
	for _, mc := range c.methods {
		jm := jsonMethod{
			Name:                    []jsonName{{Service: mc.Service, Method: mc.Method}},
			WaitForReady:            mc.WaitForReady,
			MaxRequestMessageBytes:  mc.MaxRequestBytes,
			MaxResponseMessageBytes: mc.MaxResponseBytes,
		}
		if mc.Timeout > 0 {
			jm.Timeout = seconds(mc.Timeout)
		}
		if p := mc.Retry; p != nil {
			mult := p.BackoffMultiplier
			if mult == 0 {
				mult = 2
			}
			jr := &jsonRetry{
				MaxAttempts:       p.MaxAttempts,
				InitialBackoff:    seconds(p.InitialBackoff),
				MaxBackoff:        seconds(p.MaxBackoff),
				BackoffMultiplier: mult,
			}
			for _, code := range p.RetryableCodes {
				jr.RetryableStatusCodes = append(jr.RetryableStatusCodes, codeName(code))
			}
			jm.RetryPolicy = jr
		}
		sc.MethodConfig = append(sc.MethodConfig, jm)
	}
	b, err := json.Marshal(sc)
	if err != nil { // every field was validated; kept for safety
		return "", fmt.Errorf("dialopt: service config: %w", err)
	}
	return string(b), nil
}

// seconds formats d (positive) exactly as the protobuf JSON Duration grpc-go
// parses ("1.5s", at most nine decimals). Not through float64 seconds,
// which can print 1.947308184s as "1.9473081840000002s", refused by grpc-go.
func seconds(d time.Duration) string {
	sec, ns := int64(d/time.Second), int64(d%time.Second)
	if ns == 0 {
		return strconv.FormatInt(sec, 10) + "s"
	}
	frac := strings.TrimRight(fmt.Sprintf("%09d", ns), "0")
	return strconv.FormatInt(sec, 10) + "." + frac + "s"
}

// codeName gives the canonical upper-case name ("UNAVAILABLE") that service
// config JSON uses: the proto spelling, which is also what the OpenTelemetry
// interceptors record.
func codeName(c codes.Code) string {
	return semconv.CodeName(c)
}
