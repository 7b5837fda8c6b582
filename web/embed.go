// Package web holds the attack-path explorer: TypeScript sources in src/,
// bundled by esbuild into dist/ (committed, so `go build` needs no Node) and
// embedded into the binary. Rebuild with `cd web && npm ci && npm run build`
// (make web); TestDistUpToDate fails when dist/ is older than the sources.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Assets returns the explorer's static files (index.html at the root).
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a fixed, embedded directory: this cannot fail
	}
	return sub
}
