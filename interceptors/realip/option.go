package realip

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/grpckit/grpckit/internal/opterr"
	"github.com/grpckit/grpckit/metadata"
)

const pkg = "realip"

// Header names the interceptors understand. Incoming metadata keys are lower
// case.
const (
	// XForwardedFor is a comma-separated list of addresses, one appended by
	// each proxy: "client, proxy1, proxy2". Several header lines are read as
	// one list, in order.
	XForwardedFor = "x-forwarded-for"
	// XRealIP holds a single address, set (not appended) by the proxy.
	XRealIP = "x-real-ip"
)

// Option configures the interceptors. Options are applied in order; the last
// one of a kind wins. An invalid option is reported by Validate and
// otherwise ignored, keeping the default.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is the immutable result of the trusted list and the options,
// shared by every call.
type config struct {
	trusted []netip.Prefix // normalised and valid
	headers []string       // lower case, valid, no duplicates
	hops    int
	errs    opterr.List
}

func newConfig(trusted []netip.Prefix, opts []Option) *config {
	c := &config{headers: []string{XForwardedFor, XRealIP}}
	for i, p := range trusted {
		if !p.IsValid() {
			c.errs.Addf(pkg, "trusted", "prefix %d (%v) is invalid", i+1, p)
			continue
		}
		c.trusted = append(c.trusted, normalizePrefix(p))
	}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "", what, o) {
			continue
		}
		c.errs.Apply(pkg, "", what, func() { o.apply(c) })
	}
	return c
}

// normalizePrefix turns an IPv4-mapped IPv6 prefix (::ffff:10.0.0.0/104)
// into the IPv4 prefix it covers (10.0.0.0/8), since addresses are unmapped
// before they are compared, and masks it.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

// WithHeaders sets the headers read from a trusted peer, tried in the order
// given: the first that yields an address wins, and one that is absent,
// malformed or ambiguous is skipped. XForwardedFor is read as a list (see
// the package doc); any other header must hold exactly one address (one
// value, no comma), as x-real-ip, true-client-ip or cf-connecting-ip do. List
// only headers your proxies set or overwrite: a header a proxy passes through
// from the client is the client's choice. Names are case-insensitive. The
// default is XForwardedFor, XRealIP. No names, an invalid metadata key or a
// binary (-bin) key is invalid.
func WithHeaders(names ...string) Option {
	return optionFunc(func(c *config) {
		if len(names) == 0 {
			c.errs.Addf(pkg, "WithHeaders", "no header names")
			return
		}
		hs := make([]string, 0, len(names))
		for _, n := range names {
			n = strings.ToLower(n)
			if err := metadata.ValidateKey(n); err != nil {
				c.errs.Add(pkg, "WithHeaders", err)
				return
			}
			if metadata.IsBinaryKey(n) {
				c.errs.Addf(pkg, "WithHeaders", "header %q is binary", n)
				return
			}
			if !contains(hs, n) {
				hs = append(hs, n)
			}
		}
		c.headers = hs
	})
}

// WithTrustedHops sets how many entries at the right end of x-forwarded-for
// were appended by proxies whose addresses are not in the trusted list (a
// cloud load balancer in front of the trusted one, say): they are skipped
// whatever they hold. A header with no more entries than that is skipped.
// The default is 0; a negative n is invalid.
func WithTrustedHops(n int) Option {
	return optionFunc(func(c *config) {
		if n < 0 {
			c.errs.Addf(pkg, "WithTrustedHops", "negative count %d", n)
			return
		}
		c.hops = n
	})
}

// Validate reports whether trusted and opts are usable: nil when they are,
// otherwise every problem joined in order, each naming what is wrong
// ("realip: trusted: prefix 2 (invalid Prefix) is invalid", "realip:
// WithTrustedHops: negative count -1"). The interceptor constructors accept
// the same arguments and skip the bad ones, so builders call Validate to
// report them.
func Validate(trusted []netip.Prefix, opts ...Option) error {
	return newConfig(trusted, opts).errs.Err()
}

func contains(list []string, s string) bool {
	for _, have := range list {
		if have == s {
			return true
		}
	}
	return false
}
