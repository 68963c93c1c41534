package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitStatus: flag and file problems are config errors (2), before
// anything runs, and the message names the problem.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.json")
	os.WriteFile(cfg, []byte(`{"streams":[{"stream":{"name":"s","json_schema":{}},"sync_mode":"full_refresh","destination_sync_mode":"append"}]}`), 0o600)
	self, _ := os.Executable()
	base := []string{"airbyte-sync", "run", "--source-config", cfg, "--destination-config", cfg, "--catalog", cfg}
	tests := []struct {
		name string
		args []string
		want int
		msg  string
	}{
		{"missing flags", []string{"airbyte-sync", "run"}, 2, "Required flags"},
		{"no source", append(base, "--destination", self, "--state", filepath.Join(dir, "s.json")), 2, "give the source as a binary path or as an image"},
		{"both binary and image", append(base, "--source", self, "--source-image", "x", "--destination", self, "--state", filepath.Join(dir, "s.json")), 2, "not both"},
		{"bad s3 state", append(base, "--source", self, "--destination", self, "--state", "s3://bucket-only"), 2, "want s3://bucket/key"},
		{"zero attempts", append(base, "--source", self, "--destination", self, "--state", "x", "--max-attempts", "0"), 2, "--max-attempts"},
		{"bad data channel", append(base, "--source", self, "--destination", self, "--state", "x", "--data-channel", "pipes"), 2, "--data-channel"},
		{"too many sockets", append(base, "--source", self, "--destination", self, "--state", "x", "--sockets", "1000"), 2, "--sockets"},
		{"unreadable state", append(base, "--source", self, "--destination", self, "--state", dir), 3, "state store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			got := run(context.Background(), tt.args, &out, &errb)
			if got != tt.want || !strings.Contains(errb.String(), tt.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", got, errb.String(), tt.want, tt.msg)
			}
		})
	}
}

func TestHelpNamesTheCommandLine(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"airbyte-sync", "--help"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Exit status: 0 ok, 1 the sync failed, 2 config error", "LOG_LEVEL", docsURL} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, out.String())
		}
	}
}
