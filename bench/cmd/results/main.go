// Command results runs the benchmarks of grpckit's bench module and writes
// RESULTS.md: tables of ns/op, B/op and allocs/op (medians over -count runs),
// ratios to bare grpc-go and to the anchors, the targets of the benchmark
// issue met or missed, and the machine and versions they were measured on.
//
// Run it from the bench directory:
//
//	go run ./cmd/results                      # 5 passes, -benchtime 1s: about 4-5 min on 2 cores
//	go run ./cmd/results -count 10 -benchtime 2s
//	go run ./cmd/results -bench 'Unary|HealthCheck' -out /tmp/r.md
//	go run ./cmd/results -in raw.txt          # tables from saved `go test -bench` output
//
// It builds the test binary once and runs it -count times, each pass running
// every benchmark once, so that samples of all rows are spread over the run.
// The raw `go test` output is echoed to stderr as it runs and, with -raw,
// saved for benchstat.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	count := flag.Int("count", 5, "passes over the benchmarks (each runs every benchmark once); medians are reported")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime")
	bench := flag.String("bench", ".", "go test -bench regexp")
	out := flag.String("out", "RESULTS.md", "markdown file to write (relative to the bench directory)")
	raw := flag.String("raw", "", "also save the raw go test output to this file (relative to the bench directory)")
	in := flag.String("in", "", "read go test output from this file instead of running the benchmarks")
	flag.Parse()
	if err := run(*count, *benchtime, *bench, *out, *raw, *in); err != nil {
		fmt.Fprintln(os.Stderr, "results:", err)
		os.Exit(1)
	}
}

func run(count int, benchtime, bench, out, raw, in string) error {
	if count < 1 {
		return fmt.Errorf("-count %d: must be at least 1", count)
	}
	dir, err := moduleDir()
	if err != nil {
		return err
	}
	var output []byte
	cmdline := ""
	if in != "" {
		if output, err = os.ReadFile(in); err != nil {
			return err
		}
		cmdline = "(parsed from " + filepath.Base(in) + ")"
	} else {
		if output, cmdline, err = runBenchmarks(dir, count, benchtime, bench); err != nil {
			return err
		}
	}
	if raw != "" {
		if !filepath.IsAbs(raw) {
			raw = filepath.Join(dir, raw)
		}
		if err := os.WriteFile(raw, output, 0o644); err != nil {
			return err
		}
	}
	res, procs, err := parse(output)
	if err != nil {
		return err
	}
	var md bytes.Buffer
	report(&md, res, environment(dir, procs, cmdline))
	if !filepath.IsAbs(out) {
		out = filepath.Join(dir, out)
	}
	if err := os.WriteFile(out, md.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "results: wrote", out)
	return nil
}

// runBenchmarks builds the test binary once and runs it count times, each
// pass running every selected benchmark once, so that every row gets samples
// spread over the whole run and a busy spell of the machine hits all rows
// alike (go test -count would run each benchmark count times in a row).
func runBenchmarks(dir string, count int, benchtime, bench string) (output []byte, cmdline string, err error) {
	tmp, err := os.MkdirTemp("", "grpckit-bench-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bench.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir, build.Stdout, build.Stderr = dir, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, "", fmt.Errorf("go test -c: %w", err)
	}
	args := []string{"-test.run", "^$", "-test.bench", bench, "-test.benchmem", "-test.benchtime", benchtime, "-test.timeout", "60m"}
	cmdline = fmt.Sprintf("go test -c, then %d passes of bench.test %s", count, strings.Join(args, " "))
	var buf bytes.Buffer
	for i := range count {
		fmt.Fprintf(os.Stderr, "results: pass %d of %d\n", i+1, count)
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Stdout = io.MultiWriter(&buf, os.Stderr)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, "", fmt.Errorf("pass %d: bench.test %s: %w", i+1, strings.Join(args, " "), err)
		}
	}
	return buf.Bytes(), cmdline, nil
}

// moduleDir is the directory of the bench module: the main module of the
// current directory, which must be github.com/grpckit/grpckit/bench.
func moduleDir() (string, error) {
	b, err := exec.Command("go", "list", "-m", "-f", "{{.Path}} {{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w (run from the bench directory)", err)
	}
	path, dir, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	if path != "github.com/grpckit/grpckit/bench" {
		return "", fmt.Errorf("current module is %s; run from grpckit's bench directory", path)
	}
	return dir, nil
}

// samples holds every value measured for one benchmark, by unit.
type samples map[string][]float64

// results maps a benchmark name, without its -GOMAXPROCS suffix, to its
// samples.
type results map[string]samples

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-(\d+))?\s+(\d+)\s+(.+)$`)

func parse(output []byte) (results, string, error) {
	res := results{}
	procs := ""
	sc := bufio.NewScanner(bytes.NewReader(output))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := strings.TrimPrefix(m[1], "Benchmark")
		if m[2] != "" {
			procs = m[2]
		}
		f := strings.Fields(m[4])
		if res[name] == nil {
			res[name] = samples{}
		}
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, "", fmt.Errorf("%q: %w", sc.Text(), err)
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	if len(res) == 0 {
		return nil, "", errors.New("no benchmark results in the output")
	}
	return res, procs, sc.Err()
}

// med returns the median of name's unit, and whether it was measured.
func (r results) med(name, unit string) (float64, bool) {
	v := slices.Clone(r[name][unit])
	if len(v) == 0 {
		return math.NaN(), false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// spread is (max-min)/median of name's unit, in percent.
func (r results) spread(name, unit string) float64 {
	v := r[name][unit]
	m, ok := r.med(name, unit)
	if !ok || m == 0 {
		return math.NaN()
	}
	return 100 * (slices.Max(v) - slices.Min(v)) / m
}

func (r results) has(name string) bool { _, ok := r[name]; return ok }

type env struct {
	when, cpu, procs, nproc, goVersion, grpckit, cmdline string
	modules                                              []string
}

func environment(dir, procs, cmdline string) env {
	e := env{
		when:    time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		procs:   procs,
		nproc:   strconv.Itoa(runtime.NumCPU()),
		cmdline: cmdline,
	}
	if e.procs == "" {
		e.procs = "1"
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if e.cpu == "" {
		e.cpu = runtime.GOARCH
	}
	if b, err := exec.Command("go", "version").Output(); err == nil {
		e.goVersion = strings.TrimSpace(string(b))
	}
	mods := []string{
		"google.golang.org/grpc",
		"google.golang.org/protobuf",
		"go.opentelemetry.io/otel/sdk",
		"go.opentelemetry.io/otel/sdk/metric",
		"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc",
		"github.com/grpc-ecosystem/go-grpc-middleware/v2",
		"github.com/opentracing-contrib/go-grpc",
		"github.com/opentracing/opentracing-go",
		"github.com/klauspost/compress",
		"github.com/mostynb/go-grpc-compression",
		"github.com/moby/buildkit",
	}
	cmd := exec.Command("go", append([]string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}, mods...)...)
	cmd.Dir = dir
	if b, err := cmd.Output(); err == nil {
		e.modules = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		b, err := cmd.Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	if rev := git("rev-parse", "--short", "HEAD"); rev != "" {
		e.grpckit = "commit " + rev
		if git("status", "--porcelain", "--", "..") != "" {
			e.grpckit += " plus uncommitted changes"
		}
	}
	return e
}

// Formatting helpers.

func ns(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "–"
	case a >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.1f µs", v/1e3)
	}
	return fmt.Sprintf("%.0f ns", v)
}

// signedNs is ns with an explicit sign.
func signedNs(v float64) string {
	if v >= 0 {
		return "+" + ns(v)
	}
	return ns(v)
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}

func bytesStr(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v) >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case math.Abs(v) >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

func signed(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%+.0f", v)
}

func ratio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%+.1f %%", v)
}

func verdict(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

// added returns what stack adds over base in unit (medians).
func (r results) added(stack, base, unit string) float64 {
	a, _ := r.med(stack, unit)
	b, _ := r.med(base, unit)
	return a - b
}

func report(w io.Writer, r results, e env) {
	fmt.Fprintf(w, "# grpckit benchmark results\n\n")
	fmt.Fprintf(w, "Generated by `go run ./cmd/results` in `bench/` on %s; do not edit by hand.\n", e.when)
	fmt.Fprintf(w, "Every figure is the median of the runs (`%s`); \"spread\" is (max − min) / median of ns/op.\n", e.cmdline)
	fmt.Fprintf(w, "Client and server run in the same process, so each row is the cost of both sides.\n\n")
	fmt.Fprintf(w, "- Machine: %s, %s CPUs (nproc), GOMAXPROCS %s, %s/%s\n", e.cpu, e.nproc, e.procs, runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "- Go: %s\n", e.goVersion)
	if e.grpckit != "" {
		fmt.Fprintf(w, "- grpckit: %s\n", e.grpckit)
	}
	if len(e.modules) > 0 {
		fmt.Fprintf(w, "- Modules: %s\n", "`"+strings.Join(e.modules, "`, `")+"`")
	}
	fmt.Fprintf(w, "\nTimes on a small shared machine are noisy; allocation counts are exact. Compare rows within one run, not across runs.\n")

	targets(w, r)
	stacksTable(w, r, "Unary", "End-to-end unary call over bufconn", `A ~100 B request and a ~200 B response, every call with the same 1 h deadline.
- **bare**: grpc-go with no interceptor or stats handler.
- **grpckit**: `+"`dialopt.New`"+` (callopt, deadline default 30 s, tracing, metrics, logging) and `+"`serveropt.NewServer`"+` (tracing, metrics, logging, deadline floor 10 ms / default 30 s, recovery, health), OTel SDK tracer provider sampling every span into a processor that discards it, SDK meter provider with a manual reader, slog JSON handler at Info writing to io.Discard.
- **grpckit+callopt**: the same with `+"`callopt.Timeout(30s)`"+` on every call.
- **anchor**: otelgrpc v0.72 client and server stats handlers with the same tracer and meter providers, go-grpc-middleware v2 logging (finished calls only, as grpckit; slog adapter to the same handler) and recovery.
- **otgrpc**: grpc-opentracing's otgrpc (opentracing-contrib/go-grpc) client and server interceptors with opentracing-go's mocktracer (spans kept in memory, reset every 1024 calls); tracing only.`)
	stacksTable(w, r, "HealthCheck", "grpc.health.v1.Health/Check over bufconn", "The same stacks calling the health service. grpckit's tracing, metrics and logging skip health checks by default; otelgrpc, go-grpc-middleware and otgrpc do not.")
	stacksTable(w, r, "Tracing", "Tracing alone", "Client and server tracing on the unary call above: grpckit's OpenTelemetry interceptors against otelgrpc's stats handlers with a no-op meter provider, the same SDK tracer provider.")
	compressorTable(w, r)
	heapTable(w, r)
	sessionTable(w, r)
}

// stacksTable writes the rows of group with ratios to group/bare.
func stacksTable(w io.Writer, r results, group, title, about string) {
	base := group + "/bare"
	if !r.has(base) {
		return
	}
	fmt.Fprintf(w, "\n## %s\n\n%s\n\n", title, about)
	fmt.Fprintf(w, "| stack | ns/op | spread | B/op | allocs/op | time × bare | added time | added B | added allocs |\n")
	fmt.Fprintf(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, name := range sortedNames(r, group+"/") {
		t, _ := r.med(name, "ns/op")
		b, _ := r.med(name, "B/op")
		a, _ := r.med(name, "allocs/op")
		bt, _ := r.med(base, "ns/op")
		fmt.Fprintf(w, "| %s | %s | %.0f %% | %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(name, group+"/"),
			ns(t), r.spread(name, "ns/op"), num(b), num(a), ratio(t/bt),
			signedNs(r.added(name, base, "ns/op")), signed(r.added(name, base, "B/op")), signed(r.added(name, base, "allocs/op")))
	}
}

// sortedNames returns the benchmarks under prefix in the order they ran
// (bare first), which is the order of the first appearance in the output;
// maps lose it, so sort by a fixed preference then by name.
func sortedNames(r results, prefix string) []string {
	order := []string{"bare", "none", "direct", "grpckit", "grpckit+callopt", "anchor", "otelgrpc", "otgrpc", "buildkit"}
	rank := func(n string) int {
		if i := slices.Index(order, strings.TrimPrefix(n, prefix)); i >= 0 {
			return i
		}
		return len(order)
	}
	var names []string
	for n := range r {
		if strings.HasPrefix(n, prefix) && !strings.Contains(strings.TrimPrefix(n, prefix), "/") {
			names = append(names, n)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return names
}

var sizes = []string{"160B", "4KiB", "1MiB"}

var compressorNames = []string{"grpc-gzip", "grpckit-gzip", "grpckit-zstd", "mostynb-zstd", "grpckit-snappy", "mostynb-snappy"}

func compressorTable(w io.Writer, r results) {
	if !r.has("Compressor/160B/grpc-gzip") {
		return
	}
	fmt.Fprintf(w, "\n## Compressors\n\n")
	fmt.Fprintf(w, "One compression and one decompression per op through grpc-go's `encoding.Compressor` interface, as grpc-go drives it (read to EOF, then `Close` on the reader).\n")
	fmt.Fprintf(w, "Payloads are protobuf-encoded batches of realistic records (ids, host names, scopes, log text with numbers and a few random bytes). ")
	fmt.Fprintf(w, "grpckit's compressors are built with their constructors; grpc-go's gzip and mostynb's zstd and snappy (v1.2.3, no exported constructors) are taken from grpc-go's registry right after their packages register them.\n\n")
	fmt.Fprintf(w, "| size | compressor | ns/op | spread | MB/s | B/op | allocs/op | compressed | time × grpc-gzip |\n")
	fmt.Fprintf(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, size := range sizes {
		gz, _ := r.med("Compressor/"+size+"/grpc-gzip", "ns/op")
		for _, c := range compressorNames {
			name := "Compressor/" + size + "/" + c
			if !r.has(name) {
				continue
			}
			t, _ := r.med(name, "ns/op")
			mbs, _ := r.med(name, "MB/s")
			b, _ := r.med(name, "B/op")
			a, _ := r.med(name, "allocs/op")
			cs, _ := r.med(name, "B_compressed")
			fmt.Fprintf(w, "| %s | %s | %s | %.0f %% | %.1f | %s | %s | %s B | %s |\n", size, c, ns(t), r.spread(name, "ns/op"), mbs, num(b), num(a), num(cs), ratio(t/gz))
		}
	}
}

func heapTable(w io.Writer, r results) {
	if !r.has("StreamsHeap/none") {
		return
	}
	fmt.Fprintf(w, "\n## Heap with 1000 concurrent compressed streams\n\n")
	fmt.Fprintf(w, "1000 bidi streams on one bufconn connection, each exchanging one 4 KiB record batch (request and echo) from 1000 goroutines at once, with the named compressor registered as \"zstd\". ")
	fmt.Fprintf(w, "Heap in use after two GCs (`runtime.ReadMemStats`), relative to before the streams were opened: while all 1000 are open, and after they closed. One op opens, exercises and closes all 1000.\n\n")
	fmt.Fprintf(w, "| compression | heap while open | heap after close | ns/op (1000 streams) | B/op | allocs/op |\n")
	fmt.Fprintf(w, "|---|--:|--:|--:|--:|--:|\n")
	for _, c := range []string{"none", "grpckit-zstd", "mostynb-zstd"} {
		name := "StreamsHeap/" + c
		if !r.has(name) {
			continue
		}
		open, _ := r.med(name, "heap-open-B")
		after, _ := r.med(name, "heap-after-B")
		t, _ := r.med(name, "ns/op")
		b, _ := r.med(name, "B/op")
		a, _ := r.med(name, "allocs/op")
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", c, bytesStr(open), bytesStr(after), ns(t), bytesStr(b), num(a))
	}
}

func sessionTable(w io.Writer, r results) {
	if !r.has("Session/direct") {
		return
	}
	fmt.Fprintf(w, "\n## Session reverse calls over loopback TCP\n\n")
	fmt.Fprintf(w, "The daemon calls a unary method that the client serves: **direct** is a plain grpc-go client dialing the client's plain grpc-go server; **grpckit** and **buildkit** are reverse calls through a session on one connection the client opened (HTTP `Upgrade: h2c` to the daemon's `POST /session`, grpckit's `HTTPDialer` on both), with each library's Manager and Session on both ends. buildkit serves the session with `http2.Server` + `grpc.Server.ServeHTTP`; grpckit with grpc-go's own transport.\n\n")
	fmt.Fprintf(w, "| path | ns/op | spread | B/op | allocs/op | time × direct | added allocs |\n")
	fmt.Fprintf(w, "|---|--:|--:|--:|--:|--:|--:|\n")
	dt, _ := r.med("Session/direct", "ns/op")
	for _, name := range sortedNames(r, "Session/") {
		t, _ := r.med(name, "ns/op")
		b, _ := r.med(name, "B/op")
		a, _ := r.med(name, "allocs/op")
		fmt.Fprintf(w, "| %s | %s | %.0f %% | %s | %s | %s | %s |\n", strings.TrimPrefix(name, "Session/"), ns(t), r.spread(name, "ns/op"), num(b), num(a), ratio(t/dt), signed(r.added(name, "Session/direct", "allocs/op")))
	}
}

// targets writes the targets, each met or missed, with the figures.
func targets(w io.Writer, r results) {
	fmt.Fprintf(w, "\n## Targets\n\n| target | figures | verdict |\n|---|---|---|\n")
	row := func(target, figures string, ok bool) {
		fmt.Fprintf(w, "| %s | %s | %s |\n", target, figures, verdict(ok))
	}
	if r.has("Unary/bare") && r.has("Unary/grpckit") && r.has("Unary/anchor") {
		gt, at := r.added("Unary/grpckit", "Unary/bare", "ns/op"), r.added("Unary/anchor", "Unary/bare", "ns/op")
		ga, aa := r.added("Unary/grpckit", "Unary/bare", "allocs/op"), r.added("Unary/anchor", "Unary/bare", "allocs/op")
		row("Full grpckit stack adds at most half the time the anchor stack adds over bare (unary)",
			fmt.Sprintf("grpckit adds %s, anchor adds %s: %.2f of the anchor's", ns(gt), ns(at), gt/at), gt <= at/2)
		row("… and at most half the allocations (unary)",
			fmt.Sprintf("grpckit adds %s allocs/op, anchor adds %s: %.2f of the anchor's", signed(ga), signed(aa), ga/aa), ga <= aa/2)
	}
	if r.has("HealthCheck/bare") && r.has("HealthCheck/grpckit") {
		ga := r.added("HealthCheck/grpckit", "HealthCheck/bare", "allocs/op")
		bt, _ := r.med("HealthCheck/bare", "ns/op")
		gt := r.added("HealthCheck/grpckit", "HealthCheck/bare", "ns/op")
		row("Health/Check through the full stack adds at most 1 allocation over bare",
			fmt.Sprintf("%s allocs/op (%s B/op)", signed(ga), signed(r.added("HealthCheck/grpckit", "HealthCheck/bare", "B/op"))), ga <= 1)
		row("… and at most 3 % time over bare",
			fmt.Sprintf("%s (%s over %s)", pct(100*gt/bt), ns(gt), ns(bt)), gt <= 0.03*bt)
	}
	if r.has("Tracing/bare") && r.has("Tracing/grpckit") && r.has("Tracing/otelgrpc") {
		ga := r.added("Tracing/grpckit", "Tracing/bare", "allocs/op")
		oa := r.added("Tracing/otelgrpc", "Tracing/bare", "allocs/op")
		row("grpckit tracing adds at most half of otelgrpc's allocations",
			fmt.Sprintf("grpckit %s allocs/op, otelgrpc %s: %.2f of otelgrpc's", signed(ga), signed(oa), ga/oa), ga <= oa/2)
	}
	for _, size := range sizes[:2] {
		z, g := "Compressor/"+size+"/grpckit-zstd", "Compressor/"+size+"/grpc-gzip"
		if !r.has(z) || !r.has(g) {
			continue
		}
		zt, _ := r.med(z, "ns/op")
		gt, _ := r.med(g, "ns/op")
		zs, _ := r.med(z, "B_compressed")
		gs, _ := r.med(g, "B_compressed")
		row(fmt.Sprintf("zstd at least 2× faster than grpc-go gzip at no larger size (%s)", size),
			fmt.Sprintf("%s vs %s: %.2f× faster; %s B vs %s B", ns(zt), ns(gt), gt/zt, num(zs), num(gs)), gt >= 2*zt && zs <= gs)
	}
	if r.has("Session/direct") && r.has("Session/grpckit") {
		dt, _ := r.med("Session/direct", "ns/op")
		gt, _ := r.med("Session/grpckit", "ns/op")
		row("Session reverse call at most 1.2× a direct call",
			fmt.Sprintf("%s vs %s: %.2f×", ns(gt), ns(dt), gt/dt), gt <= 1.2*dt)
		if r.has("Session/buildkit") {
			bt, _ := r.med("Session/buildkit", "ns/op")
			row("… and faster than buildkit's",
				fmt.Sprintf("%s vs %s: %.2f× buildkit's time", ns(gt), ns(bt), gt/bt), gt < bt)
		}
	}
}
