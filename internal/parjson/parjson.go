// Package parjson writes a long sequence of JSON elements encoded on every
// core, in their order. Encoding, not analysis, is most of the CPU time of a
// report with hundreds of thousands of elements (the CIEM report at 100k
// resources is over 100 MB of indented JSON); encoding elements apart and in
// parallel gives the same bytes as encoding them one after the other.
package parjson

import (
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"sync"
)

// batch is how many elements one worker encodes at a time: large enough that
// handing batches over costs little, small enough that the batches in flight
// (a few per core) hold a few megabytes at most.
const batch = 64

// bufs and raws hold the buffers of batches: a batch of a large report is
// hundreds of kilobytes, and growing a new one for each was most of the
// garbage of writing it.
var (
	bufs = sync.Pool{New: func() any { return new([]byte) }}
	raws = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// WriteArray writes a JSON array of elements 0..n-1 as it stands in an
// indented document at a line that starts with prefix (a field of an object
// indented by json.MarshalIndent(doc, prefix0, indent) at that depth): "[]"
// when n is 0, else the elements one level deeper and the closing bracket at
// prefix, the same bytes as encoding the whole document in one piece.
func WriteArray[T any](w io.Writer, n int, elem func(i int) *T, prefix, indent string) error {
	if n == 0 {
		_, err := io.WriteString(w, "[]")
		return err
	}
	if _, err := io.WriteString(w, "[\n"); err != nil {
		return err
	}
	if err := WriteArrayElements(w, n, elem, prefix+indent, indent); err != nil {
		return err
	}
	_, err := io.WriteString(w, prefix+"]")
	return err
}

// WriteArrayElements writes elements 0..n-1 of an indented JSON array as
// json.MarshalIndent(elem(i), prefix, indent) would, each preceded by
// prefix and followed by ",\n" (the last by "\n"), the same bytes as
// encoding them in order. The elements are encoded on every core; w sees
// them in order, and nothing is written after the first error.
func WriteArrayElements[T any](w io.Writer, n int, elem func(i int) *T, prefix, indent string) error {
	return writeElements(w, n, prefix, func() (func(dst []byte, i int) ([]byte, error), func()) {
		raw := raws.Get().(*bytes.Buffer)
		enc := json.NewEncoder(raw) // escapes HTML, as json.Marshal does
		return func(dst []byte, i int) ([]byte, error) {
			raw.Reset()
			// json.Marshal's bytes, then indented: what MarshalIndent does
			if err := enc.Encode(elem(i)); err != nil {
				return dst, err
			}
			return appendIndent(dst, bytes.TrimSuffix(raw.Bytes(), []byte{'\n'}), prefix, indent), nil
		}, func() { raws.Put(raw) }
	})
}

// WriteArrayAppend is WriteArrayElements for elements that encode
// themselves: appendElem(dst, i) appends element i as it stands after
// prefix in the indented array (its first line unprefixed, every further
// line starting with prefix) and returns the extended slice. A caller with
// a hand-written encoder of its element type uses it to skip reflection and
// the indenting pass; the framing, ordering and error handling are
// WriteArrayElements'.
func WriteArrayAppend(w io.Writer, n int, appendElem func(dst []byte, i int) ([]byte, error), prefix string) error {
	return writeElements(w, n, prefix, func() (func(dst []byte, i int) ([]byte, error), func()) {
		return appendElem, func() {}
	})
}

// AppendIndent appends the compact JSON src, as json.Marshal writes it,
// indented as json.Indent(dst, src, prefix, indent) would indent it (the
// first line unprefixed). A hand-written encoder uses it for the parts of
// an element it leaves to encoding/json.
func AppendIndent(dst, src []byte, prefix, indent string) []byte {
	return appendIndent(dst, src, prefix, indent)
}

// writeElements is the engine of WriteArrayElements and WriteArrayAppend:
// each worker gets an encoder from newEncoder (and releases it with the
// returned func) and encodes batches of elements into pooled buffers,
// which the writer writes in order.
func writeElements(w io.Writer, n int, prefix string, newEncoder func() (func(dst []byte, i int) ([]byte, error), func())) error {
	type result struct {
		b   *[]byte // from bufs; back to it once written
		err error
	}
	encode := func(lo, hi int) result {
		out := bufs.Get().(*[]byte)
		appendElem, release := newEncoder()
		defer release()
		b := (*out)[:0]
		for i := lo; i < hi; i++ {
			b = append(b, prefix...)
			var err error
			if b, err = appendElem(b, i); err != nil {
				*out = b[:0]
				bufs.Put(out)
				return result{err: err}
			}
			if i < n-1 {
				b = append(b, ',')
			}
			b = append(b, '\n')
		}
		*out = b
		return result{b: out}
	}
	write := func(r result) error {
		if r.err != nil {
			return r.err
		}
		_, err := w.Write(*r.b)
		bufs.Put(r.b)
		return err
	}
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || n <= batch {
		for lo := 0; lo < n; lo += batch {
			if err := write(encode(lo, min(lo+batch, n))); err != nil {
				return err
			}
		}
		return nil
	}
	type job struct {
		lo, hi int
		done   chan result
	}
	jobs := make(chan job)
	// pending holds the batches handed out, in order: its capacity bounds
	// how far the encoders run ahead of the writer
	pending := make(chan chan result, 2*workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.done <- encode(j.lo, j.hi)
			}
		}()
	}
	go func() {
		defer close(pending)
		defer close(jobs)
		for lo := 0; lo < n; lo += batch {
			j := job{lo, min(lo+batch, n), make(chan result, 1)}
			select {
			case pending <- j.done:
			case <-stop:
				return
			}
			select {
			case jobs <- j:
			case <-stop:
				return
			}
		}
	}()
	var err error
	for done := range pending {
		if err != nil {
			continue // after a failure a batch may never be handed to a worker
		}
		if err = write(<-done); err != nil {
			close(stop)
		}
	}
	wg.Wait()
	return err
}
