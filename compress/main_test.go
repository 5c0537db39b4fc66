package compress_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/grpckit/grpckit/compress/compresstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// records is the payload generator the bench module measures with too.
var records = compresstest.Records
