package neo4j

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

const secret = "s3cret-Pa55word"

func TestOpenFailsWithOneLineErrorThatNamesTheServer(t *testing.T) {
	refused := "bolt://" + unusedPort(t)
	authFail := fakeBoltServer(t, "Neo.ClientError.Security.Unauthorized", "The client is unauthorized due to authentication failure.")
	tests := []struct {
		name string
		uri  string
		opts Options
		want []string // substrings of the error
	}{
		{"unsupported scheme", "http://127.0.0.1:7474", Options{}, []string{`unsupported scheme "http"`}},
		{"no host", "bolt://", Options{}, []string{"want scheme://host:port"}},
		{"not a URI", "::::", Options{}, []string{"want scheme://host:port"}},
		{"credentials in the URI", "bolt://neo4j:" + secret + "@127.0.0.1:7687", Options{}, []string{"credentials in the URI are not accepted"}},
		{"nothing listening", refused, Options{User: "neo4j", Password: secret},
			[]string{"connect to neo4j at " + refused + ":", "server unreachable", "connection refused"}},
		{"wrong password", authFail, Options{User: "analyst", Password: secret},
			[]string{"connect to neo4j at " + authFail + ":", `authentication failed for user "analyst"`}},
		{"bad namespace", refused, Options{Namespace: "a/b"}, []string{`namespace "a/b"`}},
		{"negative batch size", refused, Options{BatchSize: -1}, []string{"batch size -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = quiet
			tt.opts.ConnectTimeout = 5 * time.Second
			s, err := Open(context.Background(), tt.uri, tt.opts)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.uri)
			}
			msg := err.Error()
			t.Log(msg)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error spans several lines: %q", msg)
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error reveals the password: %q", msg)
			}
		})
	}
}

func TestDescribeNamesAuthenticationFailures(t *testing.T) {
	tests := []struct {
		err  error
		user string
		want string
	}{
		{&neo.Neo4jError{Code: "Neo.ClientError.Security.Unauthorized", Msg: "x"}, "", `authentication failed for user "neo4j"`},
		{&neo.Neo4jError{Code: "Neo.ClientError.Security.AuthenticationRateLimit", Msg: "x"}, "bob", "too many failed authentication attempts"},
		{&neo.Neo4jError{Code: "Neo.ClientError.Database.DatabaseNotFound", Msg: "db x"}, "", "database not found: db x"},
		{errors.New("plain"), "", "plain"},
	}
	for _, tt := range tests {
		if got := describe(tt.err, tt.user).Error(); !strings.Contains(got, tt.want) {
			t.Errorf("describe(%v) = %q, want it to contain %q", tt.err, got, tt.want)
		}
	}
}

// fakeBoltServer accepts Bolt connections on 127.0.0.1, agrees on Bolt 5.0
// (whose HELLO carries the credentials) and answers the HELLO with a
// FAILURE: what a real server with authentication says to a wrong
// password. The dev server runs without authentication, so this is how the
// driver's real error reaches Open in tests.
func fakeBoltServer(t *testing.T, code, message string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				var hs [20]byte // magic + four version proposals
				if _, err := io.ReadFull(c, hs[:]); err != nil {
					return
				}
				if _, err := c.Write([]byte{0, 0, 0, 5}); err != nil {
					return
				}
				// read one chunked message (the HELLO): chunks until a 0 size
				for {
					var sz [2]byte
					if _, err := io.ReadFull(c, sz[:]); err != nil {
						return
					}
					n := binary.BigEndian.Uint16(sz[:])
					if n == 0 {
						break
					}
					if _, err := io.CopyN(io.Discard, c, int64(n)); err != nil {
						return
					}
				}
				msg := []byte{0xB1, 0x7F, 0xA2}
				msg = append(msg, packString("code")...)
				msg = append(msg, packString(code)...)
				msg = append(msg, packString("message")...)
				msg = append(msg, packString(message)...)
				frame := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
				frame = append(append(frame, msg...), 0, 0)
				c.Write(frame)
				io.Copy(io.Discard, c) // until the driver hangs up
			}()
		}
	}()
	return "bolt://" + l.Addr().String()
}

// packString encodes a PackStream string shorter than 256 bytes.
func packString(s string) []byte {
	if len(s) < 16 {
		return append([]byte{0x80 | byte(len(s))}, s...)
	}
	return append([]byte{0xD0, byte(len(s))}, s...)
}
