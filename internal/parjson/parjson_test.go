package parjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

type elem struct {
	ID   string         `json:"id"`
	Tags map[string]any `json:"tags,omitempty"`
	List []int          `json:"list"`
	fail bool
}

type failing elem

func (e *failing) MarshalJSON() ([]byte, error) {
	if e.fail {
		return nil, fmt.Errorf("element %s refuses", e.ID)
	}
	return json.Marshal((*elem)(e))
}

func elems(n int) []failing {
	out := make([]failing, n)
	for i := range out {
		out[i] = failing{ID: fmt.Sprintf("e<%d>&", i), List: []int{i, i * 2}}
		if i%3 == 0 {
			out[i].Tags = map[string]any{"b": i, "a": []string{"x", "<y>"}}
		}
	}
	return out
}

// sequential is what the package replaces: each element MarshalIndent-ed in order.
func sequential(t *testing.T, es []failing, prefix, indent string) []byte {
	t.Helper()
	var b bytes.Buffer
	for i := range es {
		pb, err := json.MarshalIndent(&es[i], prefix, indent)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(prefix)
		b.Write(pb)
		if i < len(es)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestElementsComeOutAsSequentialMarshalIndent(t *testing.T) {
	for _, procs := range []int{1, 4} {
		for _, n := range []int{0, 1, batch - 1, batch, batch + 1, 10*batch + 7} {
			t.Run(fmt.Sprintf("procs=%d/n=%d", procs, n), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				es := elems(n)
				var got bytes.Buffer
				if err := WriteArrayElements(&got, n, func(i int) *failing { return &es[i] }, "    ", "  "); err != nil {
					t.Fatal(err)
				}
				if want := sequential(t, es, "    ", "  "); !bytes.Equal(got.Bytes(), want) {
					t.Fatalf("bytes differ from sequential MarshalIndent:\n got %.300q\nwant %.300q", got.Bytes(), want)
				}
			})
		}
	}
}

// failAfter is a writer that fails once it has taken limit bytes.
type failAfter struct {
	n, limit int
}

func (w *failAfter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.limit {
		return 0, errors.New("disk full")
	}
	w.n += len(p)
	return len(p), nil
}

func TestFirstErrorStopsTheWrite(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const n = 50 * batch
	t.Run("an element fails to encode", func(t *testing.T) {
		es := elems(n)
		es[20*batch+3].fail = true
		var got bytes.Buffer
		err := WriteArrayElements(&got, n, func(i int) *failing { return &es[i] }, "", "  ")
		if err == nil || !strings.Contains(err.Error(), "refuses") {
			t.Fatalf("err = %v, want the element's error", err)
		}
		// the batches before the failing one, the last of them with its comma
		want := append(bytes.TrimSuffix(sequential(t, es[:20*batch], "", "  "), []byte("\n")), ",\n"...)
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("wrote %d bytes, want exactly the %d of the batches before the failing one", got.Len(), len(want))
		}
	})
	t.Run("the writer fails", func(t *testing.T) {
		es := elems(n)
		w := &failAfter{limit: 1000}
		if err := WriteArrayElements(w, n, func(i int) *failing { return &es[i] }, "", "  "); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("err = %v, want the writer's error", err)
		}
	})
}
