package listen

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Protocols a spec may name.
const (
	// TCP is the protocol of tcp://HOST:PORT specs and of bare HOST:PORT.
	TCP = "tcp"
	// Unix is the protocol of unix:///PATH specs.
	Unix = "unix"
	// FD is the protocol of fd:// specs (systemd socket activation).
	FD = "fd"
)

// Expected forms, quoted in format errors.
const (
	formAny  = "PROTO://ADDR (tcp://HOST:PORT, unix:///PATH, fd://, fd://N or fd://NAME)"
	formTCP  = "tcp://HOST:PORT"
	formUnix = "unix:///PATH"
	formFD   = "fd://, fd://N (N >= 3) or fd://NAME"
)

// listenFDsStart is the first descriptor systemd passes (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// maxFDName is the longest name systemd accepts in FileDescriptorName=.
const maxFDName = 255

// Spec is a parsed listener address. The zero value is not a valid spec.
type Spec struct {
	// Proto is TCP, Unix or FD.
	Proto string
	// Addr is HOST:PORT for TCP (HOST may be empty: every interface); the
	// socket path for Unix; for FD it is "" or "*" (every passed socket), a
	// decimal file descriptor number, or a name from LISTEN_FDNAMES.
	Addr string
}

// String returns the spec in PROTO://ADDR form; Parse(s.String()) returns s
// for every s that Parse returned.
func (s Spec) String() string { return s.Proto + "://" + s.Addr }

// Parse checks the syntax of spec without touching the network, the file system
// or the environment, so a daemon can reject bad flags before it binds anything.
// A spec without "://" is a TCP HOST:PORT, except that one starting with
// "tcp:", "unix:" or "fd:" (any case) is refused as a misspelt PROTO://ADDR
// ("unix:d.sock", "fd:3") rather than read as a host named unix or fd. Ports
// are decimal (0-65535); hosts are empty, an IP address (IPv6 in brackets,
// with an optional zone) or a host name, which cannot be all digits and dots
// ("127.1" is refused rather than looked up in DNS). Unix paths may be relative (Listen
// resolves them against the working directory when it is called); abstract
// sockets ("@name") are refused.
// Addresses of passed sockets are at most 255 bytes; names follow systemd:
// printable ASCII without ':'. An all-digit address is always a descriptor
// number.
//
// Errors match ErrBadFormat and quote the spec and the expected form. Parse is
// safe for concurrent use.
func Parse(spec string) (Spec, error) {
	if spec == "" {
		return Spec{}, &formatError{spec, formAny, "empty spec"}
	}
	proto, addr, ok := strings.Cut(spec, "://")
	if !ok {
		// "unix:d.sock" or "fd:3" would otherwise be a TCP address on a host
		// named unix or fd.
		if p, _, found := strings.Cut(spec, ":"); found && (strings.EqualFold(p, TCP) || strings.EqualFold(p, Unix) || strings.EqualFold(p, FD)) {
			return Spec{}, &formatError{spec, formAny, `missing "://" after ` + strconv.Quote(p) + ` (write ` + strings.ToLower(p) + `://ADDR)`}
		}
		if why := checkTCP(spec); why != "" {
			return Spec{}, &formatError{spec, formAny, why}
		}
		return Spec{TCP, spec}, nil
	}
	var want, why string
	switch proto {
	case TCP:
		want, why = formTCP, checkTCP(addr)
	case Unix:
		want, why = formUnix, checkUnix(addr)
	case FD:
		want, why = formFD, checkFD(addr)
	default:
		want, why = formAny, "unknown protocol "+strconv.Quote(proto)
	}
	if why != "" {
		return Spec{}, &formatError{spec, want, why}
	}
	return Spec{proto, addr}, nil
}

// checkTCP returns what is wrong with a HOST:PORT address, or "".
func checkTCP(addr string) string {
	if addr == "" {
		return "missing address"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if ae, ok := err.(*net.AddrError); ok {
			return ae.Err
		}
		return err.Error()
	}
	if port == "" {
		return "missing port"
	}
	if !isDigits(port) || len(port) > 5 {
		return "port " + strconv.Quote(port) + " is not a number in 0-65535"
	}
	if n, _ := strconv.Atoi(port); n > 65535 {
		return "port " + port + " is out of range 0-65535"
	}
	if numericHost(host) {
		// "127.1", "10.0.0.1.": not an IP address to Go, so it would be
		// looked up in DNS, where no name is all-numeric.
		if _, err := netip.ParseAddr(host); err != nil {
			return "host " + strconv.Quote(host) + " is not an IPv4 address (four decimal parts 0-255, no trailing dot) and no host name is all numeric"
		}
		return ""
	}
	if host == "" || isHostName(host) {
		return ""
	}
	if _, err := netip.ParseAddr(host); err != nil { // IPv6, with a zone
		return "host " + strconv.Quote(host) + " is neither an IP address nor a host name"
	}
	return ""
}

// checkUnix returns what is wrong with a socket path, or "".
func checkUnix(path string) string {
	switch {
	case path == "":
		return "missing path"
	case strings.IndexByte(path, 0) >= 0:
		return "path contains a NUL byte"
	case path[0] == '@':
		return "abstract sockets (@name) are not supported"
	}
	return ""
}

// checkFD returns what is wrong with the address of an fd:// spec, or "".
func checkFD(addr string) string {
	switch {
	case addr == "" || addr == "*":
		return ""
	case len(addr) > maxFDName:
		return "fd address is longer than 255 bytes"
	case isDigits(addr):
		n, err := strconv.Atoi(addr)
		if err != nil {
			return "fd " + addr + " is out of range"
		}
		if n < listenFDsStart {
			return "fd " + addr + " is below 3, where passed sockets start"
		}
		return ""
	}
	for i := 0; i < len(addr); i++ {
		if c := addr[i]; c < ' ' || c > '~' || c == ':' {
			return "fd name " + strconv.Quote(addr) + " has a character other than printable ASCII without ':'"
		}
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numericHost reports whether s is made of digits and dots only.
func numericHost(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isHostName reports whether s looks like a DNS name: letters, digits, '-',
// '_' and '.', at most 253 bytes. The resolver has the last word.
func isHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
