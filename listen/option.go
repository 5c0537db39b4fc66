package listen

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"

	"github.com/grpckit/grpckit/internal/opterr"
)

const pkg = "listen"

// DefaultSocketMode is the permission of unix sockets unless WithSocketMode
// says otherwise: owner and group may connect, others may not.
const DefaultSocketMode os.FileMode = 0o660

// Option configures Listen. Options are applied in order (the last of a kind
// wins) and validated once; invalid ones make Listen fail with an error that
// names each of them, joined in a fixed order (nil options in the order
// given, then mode, gate, group). Socket options apply to unix:// specs only and are accepted, but not
// used, with tcp:// and fd:// specs, so a daemon can pass one option list for
// every -H flag; systemd sets the mode of the sockets it passes (SocketMode=).
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	mode     os.FileMode
	group    string // "" when WithSocketGroup was not given
	groupSet bool
	gid      int // resolved by validate; -1 leaves the group as created
	unsetEnv bool
	gate     *Gate
	gateSet  bool
	tls      *tls.Config // WithTLS; checked and cloned by validate
	tlsSet   bool
	errs     opterr.List
}

// WithSocketMode sets the permission bits of unix sockets. The default is
// DefaultSocketMode (0660). A mode with bits outside 0777 (type, setuid,
// setgid or sticky bits) is an error.
func WithSocketMode(m os.FileMode) Option {
	return optionFunc(func(c *config) { c.mode = m })
}

// WithSocketGroup gives unix sockets to a group, by name or, when no group has
// that name, by decimal gid. By default the socket keeps the group it was
// created with (the process's group, or the directory's with setgid). An empty
// or unknown name is an error; so is a group the process may not chown to,
// when Listen creates the socket.
func WithSocketGroup(group string) Option {
	return optionFunc(func(c *config) { c.group, c.groupSet = group, true })
}

// WithUnsetEnv makes an fd:// Listen unset LISTEN_PID, LISTEN_FDS and
// LISTEN_FDNAMES once it has read them, whether or not it succeeds, as
// sd_listen_fds(1) does, so child processes do not see them. Later fd:// calls
// then fail with ErrNotActivated: give it to the last one. By default the
// variables are left alone.
func WithUnsetEnv() Option {
	return optionFunc(func(c *config) { c.unsetEnv = true })
}

// WithGate wraps every listener that Listen returns with g (see Gate.Wrap), so
// Accept waits until g.Activate is called. A nil gate is an error.
func WithGate(g *Gate) Option {
	return optionFunc(func(c *config) { c.gate, c.gateSet = g, true })
}

func newConfig(opts []Option) (*config, error) {
	c := &config{mode: DefaultSocketMode, gid: -1}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "Listen", what, o) {
			continue
		}
		c.errs.Apply(pkg, "Listen", what, func() { o.apply(c) })
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *config) validate() error {
	if c.mode&^fs.ModePerm != 0 {
		c.errs.Addf(pkg, "WithSocketMode", "mode %#o has bits outside 0777", uint32(c.mode))
	}
	if c.gateSet {
		c.errs.Nil(pkg, "WithGate", "gate", c.gate)
	}
	if err := c.checkTLS(); err != nil {
		return err
	}
	if c.groupSet {
		if gid, err := lookupGroup(c.group); err != nil {
			c.errs.Add(pkg, "WithSocketGroup", err)
		} else {
			c.gid = gid
		}
	}
	return c.errs.Err()
}

// lookupGroup resolves a group name, falling back to a decimal gid when no
// group has that name (as docker does).
func lookupGroup(name string) (int, error) {
	if name == "" {
		return 0, errors.New("empty group name")
	}
	g, err := user.LookupGroup(name)
	if err == nil {
		gid, err := strconv.Atoi(g.Gid)
		if err != nil {
			return 0, fmt.Errorf("group %q has a non-numeric gid %q", name, g.Gid)
		}
		return gid, nil
	}
	var unknown user.UnknownGroupError
	if !errors.As(err, &unknown) {
		return 0, fmt.Errorf("looking up group %q: %w", name, err)
	}
	if isDigits(name) {
		if gid, err := strconv.Atoi(name); err == nil && gid <= 1<<31-1 {
			return gid, nil
		}
	}
	return 0, fmt.Errorf("unknown group %q", name)
}
