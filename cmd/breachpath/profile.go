package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole command to the file named
// by BREACHPATH_CPUPROFILE and a heap profile (taken at exit) to the one
// named by BREACHPATH_MEMPROFILE. It is how the figures in docs/benchmarks.md
// were attributed: the time from process start to exit, not one function's.
// The returned function stops and flushes the profiles.
func startProfile() (stop func()) {
	var cpu *os.File
	if path := os.Getenv("BREACHPATH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "breachpath: cpu profile %s: %v\n", path, err)
		} else {
			cpu = f
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if path := os.Getenv("BREACHPATH_MEMPROFILE"); path != "" {
			f, err := os.Create(path)
			if err == nil {
				runtime.GC()
				err = pprof.WriteHeapProfile(f)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "breachpath: heap profile %s: %v\n", path, err)
			}
		}
	}
}
