package gcptest

import (
	"fmt"
	"io"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// LabBuckets are the lab's bucket names.
var LabBuckets = []string{"prod-blogapp-5e1f", "dev-blogapp-5e1f", "function-bucket-5e1f", "blog-bucket-5e1f", "blog-frontend-5e1f"}

// StorageServer is fake-gcs-server (github.com/fsouza/fake-gcs-server, the
// Cloud Storage JSON API emulator) running in-process on a free local port.
type StorageServer struct {
	*fakestorage.Server
}

// NewStorageServer starts fake-gcs-server holding the given buckets.
func NewStorageServer(buckets ...string) (*StorageServer, error) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard})
	if err != nil {
		return nil, fmt.Errorf("start fake-gcs-server: %w", err)
	}
	for _, b := range buckets {
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
	}
	return &StorageServer{srv}, nil
}

// Endpoint is the JSON API endpoint for option.WithEndpoint.
func (s *StorageServer) Endpoint() string { return s.URL() + "/storage/v1/" }
