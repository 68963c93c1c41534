package objectkey

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DayPrefix returns the longest key prefix shared by every object the
// template writes for a stream on the given day (UTC): the bucket path and
// path format with NAMESPACE, STREAM_NAME, YEAR, MONTH and DAY substituted,
// cut before the first variable that changes within a day (HOUR, EPOCH,
// UUID, ...). It is how a day's partition of a stream is found afterwards.
func (t *Template) DayPrefix(namespace, stream string, day time.Time) string {
	d := day.UTC()
	vars := map[string]string{
		"NAMESPACE":   S3Safe(namespace),
		"STREAM_NAME": S3Safe(stream),
		"YEAR":        strconv.Itoa(d.Year()),
		"MONTH":       fmt.Sprintf("%02d", int(d.Month())),
		"DAY":         fmt.Sprintf("%02d", d.Day()),
	}
	var b strings.Builder
	stopped := false
	tokenize(t.joined(), '$', func(text string, isVar bool) {
		if stopped {
			return
		}
		if !isVar {
			b.WriteString(text)
			return
		}
		if v, ok := vars[text]; ok {
			b.WriteString(v)
			return
		}
		switch text {
		case "HOUR", "MINUTE", "SECOND", "MILLISECOND", "EPOCH", "UUID":
			stopped = true
		default: // unknown variables stay literal text in keys
			b.WriteString("${" + text + "}")
		}
	})
	return collapseSlashes(b.String())
}
