package objectkey

import (
	"testing"
	"time"
)

var start = time.Date(2023, 3, 30, 12, 34, 56, 789_000_000, time.UTC) // epoch ms 1680179696789

func TestObjectPath(t *testing.T) {
	tests := []struct {
		name, bucketPath, format, ns, stream, want string
	}{
		{"default", "airbyte/raw", "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_", "public", "users", "airbyte/raw/public/users/2023_03_30_1680179696789_"},
		{"no namespace collapses slashes", "airbyte/raw", "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_", "", "users", "airbyte/raw/users/2023_03_30_1680179696789_"},
		{"team a", "origin=airbyte/database=bronze_radar", "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}", "radar", "pharmacies", "origin=airbyte/database=bronze_radar/pharmacies/cog_dt_ingestion=2023-03-30/file_pharmacies"},
		{"team b", "bronze", "${YEAR}/${MONTH}/${DAY}/${STREAM_NAME}", "radar", "users", "bronze/2023/03/30/users"},
		{"all time variables", "", "${HOUR}:${MINUTE}:${SECOND}.${MILLISECOND}/", "", "s", "12:34:56.0789/"},
		{"unknown variable kept", "p", "${NOPE}/${STREAM_NAME}_", "", "s", "p/${NOPE}/s_"},
		{"names made S3-safe", "p", "${NAMESPACE}/${STREAM_NAME}/", "café db", "vouchers#1", "p/cafe_db/vouchers_1/"},
		{"empty bucket path", "", "${STREAM_NAME}/", "", "users", "users/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := &Template{BucketPath: tt.bucketPath, PathFormat: tt.format, Start: start}
			if got := tm.ObjectPath(tt.ns, tt.stream, "u-u-i-d"); got != tt.want {
				t.Errorf("ObjectPath = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUUIDConstantPerStream(t *testing.T) {
	tm := &Template{BucketPath: "p", PathFormat: "${STREAM_NAME}/${UUID}/", Start: start}
	if got := tm.ObjectPath("", "s", "abc"); got != "p/s/abc/" {
		t.Errorf("ObjectPath = %q", got)
	}
}

func TestFileName(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 123_456_000, time.UTC)
	tests := []struct{ pattern, want string }{
		{"", "7.parquet"},
		{"{part_number}{format_extension}", "7.parquet"},
		{"{part_number}", "7"},
		{"{date}_{part_number}{format_extension}", "2023_03_30_7.parquet"},
		{"{date:yyyy_MM}", "2023_03"},
		{"{date:yyyy-MM-dd'T'HH}", "2023-03-30T12"},
		{"{timestamp}", "1704164645123"},
		{"{timestamp:millis}", "1704164645123"},
		{"{timestamp:micros}", "1704164645123456"},
		{"{sync_id}-{part_number}", "42-7"},
		{"my file {part_number}", "my_file_7"},
		{"{unknown}", "{unknown}"},
	}
	for _, tt := range tests {
		tm := &Template{FileNamePattern: tt.pattern, Start: start, SyncID: "42"}
		if got := tm.FileName(7, now); got != tt.want {
			t.Errorf("FileName(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestAllocatorNeverReusesKeys(t *testing.T) {
	now := func() time.Time { return time.UnixMilli(1704164645123) }
	tm := &Template{BucketPath: "b", PathFormat: "${STREAM_NAME}/", Start: start}
	path := tm.ObjectPath("", "users", "")
	a := NewAllocator(tm, path, []string{"b/users/0.parquet", "b/users/2.parquet"}, now)
	var got []string
	for i := 0; i < 3; i++ {
		got = append(got, a.Next())
	}
	want := []string{"b/users/1.parquet", "b/users/3.parquet", "b/users/4.parquet"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("keys = %v, want %v", got, want)
		}
	}
	// A pattern without part number gets a suffix instead of overwriting.
	tm2 := &Template{BucketPath: "b", PathFormat: "${STREAM_NAME}/", FileNamePattern: "{timestamp}{format_extension}", Start: start}
	a2 := NewAllocator(tm2, path, []string{"b/users/1704164645123.parquet"}, now)
	k1, k2 := a2.Next(), a2.Next()
	if k1 != "b/users/1704164645123_1.parquet" || k2 != "b/users/1704164645123_2.parquet" {
		t.Errorf("keys = %s, %s", k1, k2)
	}
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		name, bucketPath, format, pattern, stream string
		wantPrefix                                string
		match, noMatch                            []string
	}{
		{
			name: "default", bucketPath: "airbyte/raw", format: "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_", stream: "users",
			wantPrefix: "airbyte/raw/radar/users/",
			match:      []string{"airbyte/raw/radar/users/2021_01_02_1609545600000_0.parquet", "airbyte/raw/radar/users/2023_03_30_1680179696789_12_1.parquet"},
			noMatch:    []string{"airbyte/raw/radar/users_archive/2021_01_02_1_0.parquet", "airbyte/raw/radar/users/notes.txt", "airbyte/raw/radar/users/2021_01_02_1_0.parquet/_SUCCESS"},
		},
		{
			name: "team a", bucketPath: "origin=airbyte/database=bronze_radar", format: "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}", stream: "users",
			wantPrefix: "origin=airbyte/database=bronze_radar/users/cog_dt_ingestion=",
			match:      []string{"origin=airbyte/database=bronze_radar/users/cog_dt_ingestion=2020-01-01/file_users3.parquet"},
			noMatch:    []string{"origin=airbyte/database=bronze_radar/users/cog_dt_ingestion=2020-01-01/_SUCCESS", "origin=airbyte/database=bronze_radar/users/cog_dt_ingestion=2020-01-01/file_users_old3.parquet"},
		},
		{
			name: "team b", bucketPath: "bronze", format: "${YEAR}/${MONTH}/${DAY}/${STREAM_NAME}", pattern: "{part_number}{format_extension}", stream: "users",
			wantPrefix: "bronze/",
			match:      []string{"bronze/2024/01/02/users0.parquet", "bronze/2024/01/02/users11_2.parquet"},
			noMatch:    []string{"bronze/2024/01/02/users_roles0.parquet", "bronze/2024/01/02/_SUCCESS"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := &Template{BucketPath: tt.bucketPath, PathFormat: tt.format, FileNamePattern: tt.pattern, Start: start}
			prefix, re := tm.Matcher("radar", tt.stream)
			if prefix != tt.wantPrefix {
				t.Errorf("prefix = %q, want %q", prefix, tt.wantPrefix)
			}
			for _, k := range tt.match {
				if !re.MatchString(k) {
					t.Errorf("%s does not match %s", k, re)
				}
			}
			for _, k := range tt.noMatch {
				if re.MatchString(k) {
					t.Errorf("%s matches %s", k, re)
				}
			}
			// Every key the template produces is matched.
			a := NewAllocator(tm, tm.ObjectPath("radar", tt.stream, ""), nil, time.Now)
			if k := a.Next(); !re.MatchString(k) {
				t.Errorf("own key %s does not match %s", k, re)
			}
		})
	}
}

func TestMarkerKey(t *testing.T) {
	if got := MarkerKey("a/b/file_users0.parquet"); got != "a/b/_SUCCESS" {
		t.Errorf("MarkerKey = %q", got)
	}
	if got := MarkerKey("top.parquet"); got != "_SUCCESS" {
		t.Errorf("MarkerKey = %q", got)
	}
}

func FuzzObjectPathMatch(f *testing.F) {
	f.Add("radar", "users", "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_", "")
	f.Add("", "a b", "${STREAM_NAME}/x=${YEAR}/f_${STREAM_NAME}", "{part_number}{format_extension}")
	f.Fuzz(func(t *testing.T, ns, stream, format, pattern string) {
		tm := &Template{BucketPath: "p", PathFormat: format, FileNamePattern: pattern, Start: start}
		_, re := tm.Matcher(ns, stream)
		a := NewAllocator(tm, tm.ObjectPath(ns, stream, "0f0e-1d"), nil, time.Now)
		if k := a.Next(); !re.MatchString(k) {
			t.Errorf("own key %q does not match %s", k, re)
		}
	})
}
