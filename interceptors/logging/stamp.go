package logging

import (
	"sync/atomic"
	"time"
)

// stamp caches the last time formatted with timestampFormat (RFC 3339, to
// the second): the calls of one second share the string instead of each
// formatting it and allocating a copy. It is safe for concurrent use; the
// zero value is empty.
type stamp struct{ last atomic.Pointer[stampEntry] }

type stampEntry struct {
	sec    int64          // t.Unix() of the formatted time
	loc    *time.Location // its location: the same second formats differently per zone
	stored int64          // the second (of a call's start) the entry was stored in
	s      string
}

// format returns t formatted with timestampFormat. now is the call's start:
// the entry is replaced at most once per second of it, so calls whose times
// alternate between seconds (deadlines of different timeouts) format as
// before instead of allocating a new entry each time.
func (c *stamp) format(t, now time.Time) string {
	sec, loc := t.Unix(), t.Location()
	e := c.last.Load()
	if e != nil && e.sec == sec && e.loc == loc {
		return e.s
	}
	s := t.Format(timestampFormat)
	if nowSec := now.Unix(); e == nil || e.stored != nowSec {
		c.last.Store(&stampEntry{sec: sec, loc: loc, stored: nowSec, s: s})
	}
	return s
}
