package realip

import (
	"context"
	"net/netip"
)

type ctxKey struct{}

// addrCtx carries the client address. Value answers for ctxKey with the
// *addrCtx itself, so FromContext does not allocate and NewContext allocates
// once.
type addrCtx struct {
	context.Context
	addr netip.Addr
}

func (c *addrCtx) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// NewContext returns a copy of ctx carrying addr as the client's address,
// normalised as the interceptors do (IPv4-mapped IPv6 becomes IPv4, the IPv6
// zone is dropped). An invalid (zero) addr leaves ctx as it is. It is meant
// for tests and for code that learns the address some other way.
func NewContext(ctx context.Context, addr netip.Addr) context.Context {
	if !addr.IsValid() {
		return ctx
	}
	return &addrCtx{Context: ctx, addr: normalize(addr)}
}

// FromContext returns the client's address that the interceptors or
// NewContext put in ctx, and whether there was one. It never allocates.
func FromContext(ctx context.Context) (netip.Addr, bool) {
	if c, ok := ctx.Value(ctxKey{}).(*addrCtx); ok {
		return c.addr, true
	}
	return netip.Addr{}, false
}

// normalize strips the zone and unmaps IPv4-mapped IPv6 addresses.
func normalize(a netip.Addr) netip.Addr {
	return a.WithZone("").Unmap()
}
