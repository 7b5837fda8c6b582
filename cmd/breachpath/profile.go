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

// writeAnalysedProfile writes a heap profile, after a forced collection, to
// the file named by BREACHPATH_ANALYSEDPROFILE at the moment the analysis
// is done and the graph is still held: the profile at exit sees nothing of
// the graph, and this one is what docs/benchmarks.md attributes the peak of
// paths/queue/plan to (holders per node and per edge).
func writeAnalysedProfile() {
	path := os.Getenv("BREACHPATH_ANALYSEDPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		runtime.GC()
		err = pprof.WriteHeapProfile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "breachpath: heap profile %s: %v\n", path, err)
	}
}
