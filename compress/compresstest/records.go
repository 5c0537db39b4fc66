package compresstest

import (
	"fmt"
	"math/rand/v2"

	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

var (
	verbs   = []string{"GET", "POST", "PUT", "DELETE", "PATCH"}
	levels  = []string{"debug", "info", "info", "info", "warn", "error"}
	nouns   = []string{"users", "orders", "invoices", "sessions", "carts", "products", "shipments", "accounts"}
	regions = []string{"us-east1", "us-west2", "europe-west4", "asia-south1"}
	scopes  = []string{
		"https://www.googleapis.com/auth/userinfo.email",
		"https://www.googleapis.com/auth/cloud-platform.read-only",
		"openid profile email",
	}
	words = []string{"cache", "miss", "retry", "upstream", "timeout", "connection", "reset", "by", "peer",
		"quota", "exceeded", "for", "tenant", "request", "completed", "slow", "query", "on", "shard", "replica"}
	statuses = []int{200, 200, 200, 201, 204, 404, 500}
)

// Record returns the i-th record drawn from rng: one realistic response of
// about 200 bytes encoded, with a log-line body mixing text, decimal numbers
// and 16 random bytes. The same rng state and i give the same record.
func Record(rng *rand.Rand, i int) *testpb.SimpleResponse {
	body := make([]byte, 16, 256)
	for j := range body {
		body[j] = byte(rng.Uint32())
	}
	body = fmt.Appendf(body, "ts=%d level=%s %s /api/v1/%s/%d status=%d latency_ms=%.2f bytes=%d msg=%q",
		1767225600000+int64(i)*int64(rng.IntN(5000)), levels[rng.IntN(len(levels))], verbs[rng.IntN(len(verbs))],
		nouns[rng.IntN(len(nouns))], rng.IntN(1_000_000), statuses[rng.IntN(len(statuses))],
		rng.Float64()*250, rng.IntN(1<<20), words[rng.IntN(len(words))]+" "+words[rng.IntN(len(words))]+" "+words[rng.IntN(len(words))])
	return &testpb.SimpleResponse{
		Payload:         &testpb.Payload{Type: testpb.PayloadType(rng.IntN(2)), Body: body},
		Username:        fmt.Sprintf("user%06d@example.com", rng.IntN(1_000_000)),
		OauthScope:      scopes[rng.IntN(len(scopes))],
		ServerId:        fmt.Sprintf("srv-%d", rng.IntN(64)),
		GrpclbRouteType: testpb.GrpclbRouteType(rng.IntN(3)),
		Hostname:        fmt.Sprintf("backend-%02d.%s.svc.cluster.local", rng.IntN(40), regions[rng.IntN(len(regions))]),
	}
}

// Records returns a protobuf batch, message Batch { repeated SimpleResponse
// records = 1; }, of at most size bytes, the same bytes for the same size.
// The last record's body is cut to fit, which leaves the batch up to 3 bytes
// short of size (most sizes are: a record's length prefix and fields cannot
// be cut to end on every byte); it is empty when size is below 4.
func Records(size int) []byte {
	rng := rand.New(rand.NewPCG(0x6772_7063, uint64(size)))
	var out []byte
	for i := 0; len(out) < size; i++ {
		rec := Record(rng, i)
		for {
			b, _ := proto.Marshal(rec)
			enc := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), b)
			over := len(out) + len(enc) - size
			if over <= 0 {
				out = append(out, enc...)
				break
			}
			body := rec.Payload.Body
			if over < len(body) {
				rec.Payload.Body = body[:len(body)-over]
				continue
			}
			if len(rec.Username) == 0 {
				return out // less room than an empty payload-only record takes
			}
			// Too little room for a whole record: end with one holding
			// only (part of) its payload.
			rec = &testpb.SimpleResponse{Payload: &testpb.Payload{Body: body[:max(0, len(body)-over)]}}
		}
	}
	return out
}
