package listen_test

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/grpckit/grpckit/listen"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec string
		want listen.Spec
	}{
		{"tcp://127.0.0.1:2375", listen.Spec{Proto: listen.TCP, Addr: "127.0.0.1:2375"}},
		{"127.0.0.1:0", listen.Spec{Proto: listen.TCP, Addr: "127.0.0.1:0"}},
		{":8080", listen.Spec{Proto: listen.TCP, Addr: ":8080"}},
		{"tcp://:0", listen.Spec{Proto: listen.TCP, Addr: ":0"}},
		{"tcp://[::1]:65535", listen.Spec{Proto: listen.TCP, Addr: "[::1]:65535"}},
		{"[fe80::1%eth0]:1", listen.Spec{Proto: listen.TCP, Addr: "[fe80::1%eth0]:1"}},
		{"localhost:50051", listen.Spec{Proto: listen.TCP, Addr: "localhost:50051"}},
		{"tcp://my-host.example_x.com:1", listen.Spec{Proto: listen.TCP, Addr: "my-host.example_x.com:1"}},
		{"unix:///run/app.sock", listen.Spec{Proto: listen.Unix, Addr: "/run/app.sock"}},
		{"unix://relative.sock", listen.Spec{Proto: listen.Unix, Addr: "relative.sock"}},
		{"unix:///a b/c:d.sock", listen.Spec{Proto: listen.Unix, Addr: "/a b/c:d.sock"}},
		{"fd://", listen.Spec{Proto: listen.FD, Addr: ""}},
		{"fd://*", listen.Spec{Proto: listen.FD, Addr: "*"}},
		{"fd://3", listen.Spec{Proto: listen.FD, Addr: "3"}},
		{"fd://1024", listen.Spec{Proto: listen.FD, Addr: "1024"}},
		{"fd://api", listen.Spec{Proto: listen.FD, Addr: "api"}},
		{"fd://docker.socket", listen.Spec{Proto: listen.FD, Addr: "docker.socket"}},
		{"fd://-1", listen.Spec{Proto: listen.FD, Addr: "-1"}}, // a name, as systemd allows
	}
	for _, tt := range tests {
		got, err := listen.Parse(tt.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.spec, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.spec, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec string
		want string // substring of the error after the quoted spec
	}{
		{"", `expected PROTO://ADDR`},
		{"udp://127.0.0.1:1", `expected PROTO://ADDR (tcp://HOST:PORT, unix:///PATH, fd://, fd://N or fd://NAME): unknown protocol "udp"`},
		{"TCP://127.0.0.1:1", `unknown protocol "TCP"`},
		{"://x", `unknown protocol ""`},
		{"tcp://", `expected tcp://HOST:PORT: missing address`},
		{"tcp://127.0.0.1", `expected tcp://HOST:PORT: missing port in address`},
		{"tcp://127.0.0.1:", `missing port`},
		{"tcp://127.0.0.1:http", `port "http" is not a number`},
		{"tcp://127.0.0.1:65536", `port 65536 is out of range`},
		{"tcp://127.0.0.1:123456", `is not a number in 0-65535`},
		{"tcp://::1:80", `too many colons`},
		{"tcp://[::1:80", `missing ']'`},
		{"tcp://bad host:1", `host "bad host" is neither`},
		{"tcp://127.0.0.1:1/path", `port "1/path" is not a number`},
		{"127.0.0.1", `expected PROTO://ADDR`},
		{"/run/app.sock", `expected PROTO://ADDR`},
		{"unix://", `expected unix:///PATH: missing path`},
		{"unix://@abstract", `abstract sockets`},
		{"unix:///a\x00b", `NUL byte`},
		{"fd://0", `expected fd://, fd://N (N >= 3) or fd://NAME: fd 0 is below 3`},
		{"fd://2", `below 3`},
		{"fd://99999999999999999999", `out of range`},
		{"fd://a:b", `has a character other than printable ASCII`},
		{"fd://a\nb", `has a character`},
		{"fd://" + strings.Repeat("n", 256), `longer than 255`},
		{"fd://" + strings.Repeat("0", 255) + "3", `longer than 255`},
	}
	for _, tt := range tests {
		_, err := listen.Parse(tt.spec)
		if err == nil {
			t.Errorf("Parse(%q): got nil error, want one containing %q", tt.spec, tt.want)
			continue
		}
		if !errors.Is(err, listen.ErrBadFormat) {
			t.Errorf("Parse(%q) = %v, want an error matching ErrBadFormat", tt.spec, err)
		}
		prefix := "listen: bad format " + strconv.Quote(tt.spec) + ", "
		if got := err.Error(); !strings.HasPrefix(got, prefix) || !strings.Contains(got, tt.want) {
			t.Errorf("Parse(%q) error = %q, want prefix %q and %q", tt.spec, got, prefix, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "tcp://127.0.0.1:0", "127.0.0.1:2375", ":80", "[::1]:0", "tcp://[fe80::1%eth0]:9",
		"unix:///run/app.sock", "unix://rel", "unix://@x", "fd://", "fd://*", "fd://3", "fd://api",
		"fd://a:b", "udp://x", "tcp://", "://", "tcp://[a://b]:1", "fd://00003",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := listen.Parse(spec)
		if err != nil {
			if !errors.Is(err, listen.ErrBadFormat) {
				t.Fatalf("Parse(%q) error %v does not match ErrBadFormat", spec, err)
			}
			if !strings.Contains(err.Error(), strconv.Quote(spec)) {
				t.Fatalf("Parse(%q) error %q does not quote the spec", spec, err)
			}
			return
		}
		if !strings.Contains(spec, "://") && (s.Proto != listen.TCP || s.Addr != spec) {
			t.Fatalf("Parse(%q) = %+v, want bare TCP", spec, s)
		}
		again, err := listen.Parse(s.String())
		if err != nil || again != s {
			t.Fatalf("Parse(%q) = %+v; Parse(%q) = %+v, %v: not a round trip", spec, s, s.String(), again, err)
		}
		switch s.Proto {
		case listen.TCP:
			_, port, err := net.SplitHostPort(s.Addr)
			if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
				t.Fatalf("Parse(%q) accepted TCP address %q (port %q, %v)", spec, s.Addr, port, err)
			}
		case listen.Unix:
			if s.Addr == "" || strings.ContainsRune(s.Addr, 0) || s.Addr[0] == '@' {
				t.Fatalf("Parse(%q) accepted unix path %q", spec, s.Addr)
			}
		case listen.FD:
			if strings.ContainsAny(s.Addr, ":\x00\n") || len(s.Addr) > 255 {
				t.Fatalf("Parse(%q) accepted fd address %q", spec, s.Addr)
			}
			if n, err := strconv.Atoi(s.Addr); err == nil && n < 3 && s.Addr[0] != '-' && s.Addr[0] != '+' {
				t.Fatalf("Parse(%q) accepted fd %d", spec, n)
			}
		default:
			t.Fatalf("Parse(%q) returned protocol %q", spec, s.Proto)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	specs := []string{"tcp://127.0.0.1:2375", "unix:///run/app.sock", "fd://api", "localhost:50051"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := listen.Parse(specs[i%len(specs)]); err != nil {
			b.Fatal(err)
		}
	}
}
