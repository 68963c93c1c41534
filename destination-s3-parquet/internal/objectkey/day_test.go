package objectkey

import (
	"testing"
	"time"
)

func TestDayPrefix(t *testing.T) {
	day := time.Date(2026, 11, 25, 23, 59, 0, 0, time.UTC)
	cases := []struct {
		path, format, want string
	}{
		{"origin=airbyte/database=bronze_radar", "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}",
			"origin=airbyte/database=bronze_radar/store/cog_dt_ingestion=2026-11-25/file_store"},
		{"raw/radar/", "${YEAR}/${MONTH}/${DAY}/${STREAM_NAME}", "raw/radar/2026/11/25/store"},
		{"p", "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_", "p/radar/store/2026_11_25_"},
		{"p", "${STREAM_NAME}/${HOUR}/${DAY}", "p/store/"},
		{"p", "${STREAM_NAME}/${CUSTOM}/${DAY}", "p/store/${CUSTOM}/25"},
	}
	for _, c := range cases {
		tm := &Template{BucketPath: c.path, PathFormat: c.format}
		if got := tm.DayPrefix("radar", "store", day); got != c.want {
			t.Errorf("DayPrefix(%q, %q) = %q, want %q", c.path, c.format, got, c.want)
		}
	}
}
