// Package compresstest generates the payloads that grpckit's compress tests
// and the nested bench module measure compressors with: protobuf-encoded
// batches of realistic records mixing identifiers, host names, OAuth scopes
// and log-line text with numbers and a few random bytes, generated
// deterministically (never zeros, which every compressor flatters).
//
//	in := compresstest.Records(4 << 10) // 4 KiB, the same bytes every run
//
// It lives outside internal/ only because the bench module, a module of its
// own, cannot import another module's internal packages. It is test support,
// not part of grpckit's API: its output may change between versions.
package compresstest
