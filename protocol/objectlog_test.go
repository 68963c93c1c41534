package protocol

import "testing"

func TestObjectWrittenRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   ObjectWritten
		want string
	}{
		{"plain", ObjectWritten{Stream: "radar.store", Key: "origin=airbyte/store/file_store1.parquet", Rows: 3000, Bytes: 563200, Seconds: 0.0414},
			`object written: stream="radar.store" key="origin=airbyte/store/file_store1.parquet" rows=3000 bytes=563200 seconds=0.041`},
		{"key with space and quote", ObjectWritten{Stream: "store", Key: `a b/"c".parquet`, Rows: 1, Bytes: 2, Seconds: 3},
			`object written: stream="store" key="a b/\"c\".parquet" rows=1 bytes=2 seconds=3.000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FormatObjectWritten(tt.in)
			if got != tt.want {
				t.Fatalf("FormatObjectWritten = %s, want %s", got, tt.want)
			}
			back, ok := ParseObjectWritten(got)
			if !ok || back.Stream != tt.in.Stream || back.Key != tt.in.Key || back.Rows != tt.in.Rows || back.Bytes != tt.in.Bytes {
				t.Errorf("ParseObjectWritten(%q) = %+v, %v, want %+v", got, back, ok, tt.in)
			}
		})
	}
}

func TestStreamWrittenRoundTrip(t *testing.T) {
	in := StreamWritten{Stream: "radar.store", Rows: 3000, Objects: 2, Bytes: 99, Seconds: 1.5}
	got := FormatStreamWritten(in)
	if want := `stream written: stream="radar.store" rows=3000 objects=2 bytes=99 seconds=1.500`; got != want {
		t.Fatalf("FormatStreamWritten = %s, want %s", got, want)
	}
	if back, ok := ParseStreamWritten(got); !ok || back != in {
		t.Errorf("ParseStreamWritten(%q) = %+v, %v, want %+v", got, back, ok, in)
	}
}

func TestParseWrittenRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"stream store: completing x",
		`object written: stream="s" key="k" rows=1 bytes=2`,
		`object written: stream="s" key="k" rows=x bytes=2 seconds=1`,
		`object written: stream="s" key="k rows=1 bytes=2 seconds=1`,
		`object written: stream="s" key="k" rows=1 bytes=2 seconds=1 extra=1`,
		`stream written: stream="s" rows=1 objects=1 bytes=1`,
	} {
		if o, ok := ParseObjectWritten(in); ok {
			t.Errorf("ParseObjectWritten(%q) = %+v, true, want false", in, o)
		}
		if s, ok := ParseStreamWritten(in); ok {
			t.Errorf("ParseStreamWritten(%q) = %+v, true, want false", in, s)
		}
	}
}
