package compress

import (
	"io"
	"sync"
)

// decoder is one algorithm's stream decoder as a pooled reader drives it.
type decoder interface {
	Read(p []byte) (int, error)
	// reset starts decoding r; a nil r drops the reference to the last
	// input (grpc-go's buffers) before the decoder is pooled.
	reset(r io.Reader) error
}

// readerPool hands out pooled readers over decoders made by newDecoder.
// The zero value, with newDecoder set, is ready to use.
type readerPool struct {
	pool       sync.Pool // *pooledReader
	newDecoder func() (decoder, error)
}

// get returns a reader decoding r. Its Close returns it to the pool.
func (p *readerPool) get(r io.Reader) (io.Reader, error) {
	z, _ := p.pool.Get().(*pooledReader)
	if z == nil {
		d, err := p.newDecoder()
		if err != nil {
			return nil, err
		}
		z = &pooledReader{p: p, d: d}
	}
	if err := z.d.reset(r); err != nil {
		_ = z.d.reset(nil)
		p.pool.Put(z)
		return nil, err
	}
	z.open = true
	return z, nil
}

// pooledReader is what Decompress returns: grpc-go calls Close exactly once,
// which returns the decoder to the pool (never a finalizer).
type pooledReader struct {
	p    *readerPool
	d    decoder
	open bool
}

func (z *pooledReader) Read(p []byte) (int, error) {
	if !z.open {
		return 0, errClosed
	}
	return z.d.Read(p)
}

// Close returns the reader to the pool. It never fails; a second Close is a
// no-op as long as the reader has not been handed out again.
func (z *pooledReader) Close() error {
	if !z.open {
		return nil
	}
	z.open = false
	_ = z.d.reset(nil)
	z.p.pool.Put(z)
	return nil
}
