package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxFileSize bounds an inventory file Decode accepts, so a hostile or
// corrupt file cannot exhaust memory.
const MaxFileSize = 2 << 30

// Encode writes the inventory as indented JSON.
func Encode(w io.Writer, inv *Inventory) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(inv); err != nil {
		return fmt.Errorf("encode inventory: %w", err)
	}
	return nil
}

// Decode reads an inventory written by Encode.
func Decode(r io.Reader) (*Inventory, error) {
	lr := &io.LimitedReader{R: r, N: MaxFileSize + 1}
	var inv Inventory
	dec := json.NewDecoder(lr)
	if err := dec.Decode(&inv); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("decode inventory: larger than %d bytes", int64(MaxFileSize))
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("decode inventory: truncated JSON")
		}
		return nil, fmt.Errorf("decode inventory: %w", err)
	}
	if inv.AccountID == "" {
		return nil, fmt.Errorf("decode inventory: no account_id")
	}
	return &inv, nil
}
