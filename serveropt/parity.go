package serveropt

import (
	"net/netip"

	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/interceptors/validate"
)

// WithValidation checks every request with protovalidate (buf.validate
// rules in the proto) after authentication and before the user's
// interceptors: a message that breaks a rule is answered with
// codes.InvalidArgument and a google.rpc.BadRequest detail listing each
// field violation, and the handler never sees it; on streams every received
// message is checked. Messages whose type has no rules pass at about 55 ns
// and no allocation. Health checks are not validated unless
// validate.WithFilter says otherwise. Invalid options are errors.
func WithValidation(opts ...validate.Option) Option {
	return optionFunc(func(c *config) {
		if err := validate.Validate(opts...); err != nil {
			c.errs.Nest(pkg, "WithValidation", err)
			return
		}
		c.validate, c.validateOn = opts, true
	})
}

// WithRealIP puts the client's address in the call's context
// (realip.FromContext): the peer's address, or, when the peer is in trusted
// (the proxies and load balancers in front of the server), the address
// x-forwarded-for / x-real-ip name, skipping realip.WithTrustedHops proxies.
// Headers from any other peer are ignored, so a client cannot spoof its
// address. It runs first, before tracing and logging, which record the
// address as client.address. Health checks are left out. A nil or empty
// trusted list trusts no proxy (the peer's own address is used); an invalid
// prefix is an error.
func WithRealIP(trusted []netip.Prefix, opts ...realip.Option) Option {
	return optionFunc(func(c *config) {
		if err := realip.Validate(trusted, opts...); err != nil {
			c.errs.Nest(pkg, "WithRealIP", err)
			return
		}
		c.realIPTrusted, c.realIPOpts, c.realIPOn = append([]netip.Prefix(nil), trusted...), opts, true
	})
}
