// Package strictjson finds what encoding/json lets pass in untrusted JSON:
// an object that names one key twice. encoding/json keeps the last value,
// so {"Effect":"Deny","Effect":"Allow"} silently grants, and a snapshot or
// export could carry a value a reviewer of the file never sees. Every
// parser of untrusted JSON (snapshot files, authorization-details exports,
// policy documents) runs its input through a Checker and refuses a
// duplicate.
//
// The Checker is an io.Writer that scans the bytes as they stream past
// (io.TeeReader next to a json.Decoder), holding only the keys of the
// objects currently open, so it costs one pass and no copy of the input.
// It checks keys only: syntax is the decoder's job, and on malformed input
// the Checker neither fails nor panics, it just stops being meaningful.
package strictjson

import (
	"encoding/json"
	"fmt"
	"strings"
)

// maxKeyBytes bounds one key held for comparison; a longer key is compared
// by its first maxKeyBytes bytes and its length.
const maxKeyBytes = 4 << 10

// Checker finds the first duplicate key in a JSON text written to it.
type Checker struct {
	fold   bool // keys equal case-insensitively count as duplicates
	stack  []frame
	inStr  bool
	esc    bool
	isKey  bool
	key    []byte
	keyLen int
	offset int64
	err    error
}

type frame struct {
	object    bool
	expectKey bool
	keys      map[string]struct{}
}

// NewChecker returns a Checker. With fold, keys that differ only in case
// are duplicates too: the right choice for JSON decoded into Go structs,
// whose field matching ignores case.
func NewChecker(fold bool) *Checker { return &Checker{fold: fold} }

// Check reports the first duplicate key in data, or nil.
func Check(data []byte, fold bool) error {
	c := NewChecker(fold)
	_, _ = c.Write(data)
	return c.Err()
}

// Err returns the first duplicate found, or nil.
func (c *Checker) Err() error { return c.err }

// Write scans p; it never fails (the error is kept for Err), so it can sit
// in an io.TeeReader without disturbing the decoder.
func (c *Checker) Write(p []byte) (int, error) {
	if c.err != nil {
		return len(p), nil
	}
	for i, b := range p {
		if c.inStr {
			c.stringByte(b)
			if c.err != nil {
				return len(p), nil
			}
			continue
		}
		switch b {
		case '"':
			c.inStr, c.esc = true, false
			top := c.top()
			c.isKey = top != nil && top.object && top.expectKey
			c.key, c.keyLen = c.key[:0], 0
		case '{':
			c.stack = append(c.stack, frame{object: true, expectKey: true})
		case '[':
			c.stack = append(c.stack, frame{})
		case '}', ']':
			if n := len(c.stack); n > 0 {
				c.stack[n-1] = frame{} // drop the key set for the collector
				c.stack = c.stack[:n-1]
			}
		case ',':
			if top := c.top(); top != nil && top.object {
				top.expectKey = true
			}
		case ':':
			if top := c.top(); top != nil && top.object {
				top.expectKey = false
			}
		}
		_ = i
		c.offset++
	}
	return len(p), nil
}

func (c *Checker) top() *frame {
	if len(c.stack) == 0 {
		return nil
	}
	return &c.stack[len(c.stack)-1]
}

func (c *Checker) stringByte(b byte) {
	c.offset++
	if c.esc {
		c.esc = false
		c.keyByte(b)
		return
	}
	switch b {
	case '\\':
		c.esc = true
		c.keyByte(b)
	case '"':
		c.inStr = false
		if c.isKey {
			c.endKey()
		}
	default:
		c.keyByte(b)
	}
}

func (c *Checker) keyByte(b byte) {
	if !c.isKey {
		return
	}
	c.keyLen++
	if len(c.key) < maxKeyBytes {
		c.key = append(c.key, b)
	}
}

// endKey records the key just read in its object, or notes the duplicate.
func (c *Checker) endKey() {
	top := c.top()
	if top == nil {
		return
	}
	k := string(c.key)
	if strings.IndexByte(k, '\\') >= 0 {
		// "\u0045ffect" is "Effect": compare decoded keys
		var s string
		if err := json.Unmarshal([]byte(`"`+k+`"`), &s); err == nil {
			k = s
		}
	}
	if c.keyLen > maxKeyBytes {
		k = fmt.Sprintf("%s\x00%d", k, c.keyLen)
	}
	if c.fold {
		k = strings.ToLower(k)
	}
	if top.keys == nil {
		top.keys = make(map[string]struct{}, 8)
	}
	if _, dup := top.keys[k]; dup {
		shown := k
		if len(shown) > 64 {
			shown = shown[:64] + "…"
		}
		c.err = fmt.Errorf("duplicate key %q in one JSON object (near byte %d): the value a reader sees is not the one that counts", shown, c.offset)
		return
	}
	top.keys[k] = struct{}{}
}
