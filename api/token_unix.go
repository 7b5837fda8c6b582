//go:build unix

package api

import (
	"io/fs"
	"os"
	"syscall"
)

// fileOwner returns the uid that owns the file.
func fileOwner(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// openNoBlock opens path for reading without blocking on a FIFO or device
// that was swapped in after the first check.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}
