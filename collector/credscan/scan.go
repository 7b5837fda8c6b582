package credscan

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
)

// Scan is what the object scan found in one bucket or container: how many
// objects were listed and read, and the objects holding a credential, a
// certificate or an SSH client configuration, each with only what
// identifies it (never a value).
type Scan struct {
	// Reason says why the bucket was scanned (anyone may read it, a name
	// word, a tag).
	Reason  string `json:"reason"`
	Listed  int    `json:"listed"`
	Scanned int    `json:"scanned"`
	Skipped int    `json:"skipped,omitempty"`
	// Truncated is set when the bucket held more objects than were listed.
	Truncated bool    `json:"truncated,omitempty"`
	Objects   []Found `json:"objects,omitempty"`
	// Errors are the listing or read failures (the scan goes on past them).
	Errors []string `json:"errors,omitempty"`
}

// Found is one object whose name or content holds something Inspect reports.
type Found struct {
	Name        string       `json:"name"`
	Size        int64        `json:"size"`
	Credentials []Credential `json:"credentials,omitempty"`
	SSHHosts    []SSHHost    `json:"ssh_hosts,omitempty"`
}

// Object is one listed object. A Size of 0 means the listing did not say
// (some emulators): the object is read within the caps all the same.
type Object struct {
	Name        string
	Size        int64
	ContentType string
}

// Reader reads one object's text, at most limit bytes; ok is false when it
// is not text (use ReadText).
type Reader func(ctx context.Context, name string, limit int64) (text string, ok bool, err error)

// InspectObjects reads the listed objects within the caps and the byte
// budget, inspects their text and records what they hold. Binary objects
// (by name or content type), objects over the object cap and objects over
// the budget are skipped; a credential file name whose content was not
// read is reported as KindCredentialFile. Read errors are recorded, not
// fatal. Cancellation stops it between objects.
func (s *Scan) InspectObjects(ctx context.Context, objects []Object, read Reader, lim Limits, budget *Budget, salt []byte) {
	for _, o := range objects {
		if ctx.Err() != nil {
			return
		}
		want := o.Size
		if want == 0 {
			want = lim.MaxObjectBytes
		}
		var found Result
		read0 := false
		switch {
		case o.Size > lim.MaxObjectBytes, BinaryName(o.Name), !TextContentType(o.ContentType):
		case !budget.Take(want):
		default:
			text, ok, err := read(ctx, o.Name, lim.MaxObjectBytes)
			if err != nil {
				s.Errors = append(s.Errors, "read "+o.Name+": "+firstLine(err))
				break
			}
			if read0 = ok; ok {
				found = Inspect(text, salt)
			}
		}
		if read0 {
			s.Scanned++
		} else if o.Size > 0 {
			s.Skipped++
		}
		if !read0 && CredentialFileName(o.Name) {
			found.Credentials = append(found.Credentials, Credential{Kind: KindCredentialFile, Key: path.Base(o.Name)})
		}
		if len(found.Credentials) > 0 || len(found.SSHHosts) > 0 {
			s.Objects = append(s.Objects, Found{Name: o.Name, Size: o.Size, Credentials: found.Credentials, SSHHosts: found.SSHHosts})
		}
	}
}

// ListFailed records a listing failure.
func (s *Scan) ListFailed(err error) { s.Errors = append(s.Errors, "list: "+firstLine(err)) }

// ReadText reads r up to limit bytes; ok is false when it is larger or not
// UTF-8 text, and the bytes are then dropped unscanned.
func ReadText(r io.Reader, name string, limit int64) (string, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return "", false, fmt.Errorf("read object %s: %w", name, err)
	}
	if int64(len(b)) > limit || !LooksText(b) {
		return "", false, nil
	}
	return string(b), true, nil
}

// HostsNaming returns, as evidence lines, the SSH client configuration
// entries of the scan that name one of addresses (a host's public IPs or
// DNS names, lower-case) with keyObject's file as their IdentityFile.
func (s *Scan) HostsNaming(keyObject string, addresses []string) []string {
	base := strings.ToLower(path.Base(keyObject))
	var out []string
	for _, o := range s.Objects {
		for _, h := range o.SSHHosts {
			if strings.ToLower(path.Base(h.IdentityFile)) != base {
				continue
			}
			for _, a := range h.Addresses() {
				for _, x := range addresses {
					if a == x {
						user := h.User
						if user == "" {
							user = "-"
						}
						out = append(out, fmt.Sprintf("%s names %s (user %s) with identity file %s", o.Name, a, user, h.IdentityFile))
					}
				}
			}
		}
	}
	return out
}

// firstLine is the first line of an error, bounded: SDK errors carry
// whole responses.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
