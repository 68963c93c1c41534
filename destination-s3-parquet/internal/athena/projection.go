package athena

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
)

// Partitioning says where a stream's objects are and how Athena finds them
// without a crawler: the folders of s3_path_format that hold time
// variables become partition columns with partition projection.
type Partitioning struct {
	// Location is the table's LOCATION: the folders before the first one
	// holding a time variable.
	Location string
	// Template is storage.location.template, with ${column} for each
	// partition column; "" for a table without partitions.
	Template string
	// Columns are the partition columns, in path order.
	Columns []PartitionColumn
}

// PartitionColumn is one projected partition column.
type PartitionColumn struct {
	Name string
	// Type is the column's DDL type: string for dates (as a crawler
	// declares cog_dt_ingestion, so queries keep comparing text), int for
	// a single number.
	Type string
	// Props are the projection.<Name>.<key> table properties, in order.
	Props []Prop
}

// Prop is one table property.
type Prop struct{ Key, Value string }

// dateVars are the variables a date projection can enumerate, coarsest
// first, with their java.time pattern letters and interval units.
var dateVars = []struct{ name, letters, unit string }{
	{"YEAR", "yyyy", "YEARS"},
	{"MONTH", "MM", "MONTHS"},
	{"DAY", "dd", "DAYS"},
	{"HOUR", "HH", "HOURS"},
	{"MINUTE", "mm", "MINUTES"},
}

func dateVar(name string) int {
	for i, v := range dateVars {
		if v.name == name {
			return i
		}
	}
	return -1
}

// maxYear ends the range of a year-only integer column: integer projection
// takes no NOW, so the range is fixed.
const maxYear = 2099

var columnNameRe = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Partition works out the table location and partition projection of a
// stream from the template that names its objects. since is the first day
// the projected ranges cover (dates run from it to NOW).
//
// A folder "name=<value>" (Hive style) becomes column name; a value of
// several date variables (${YEAR}-${MONTH}-${DAY}) a date projection, a
// single ${YEAR}, ${MONTH}, ... an integer projection. Consecutive folders
// of date variables without a name (${YEAR}/${MONTH}/${DAY}) become one
// date column partition_date. ${SECOND}, ${MILLISECOND}, ${EPOCH} and
// ${UUID} in a folder cannot be enumerated and are refused; in the file
// name they do not matter.
func Partition(bucket string, t *objectkey.Template, namespace, stream string, since time.Time) (*Partitioning, error) {
	if !t.StreamInFolder() {
		return nil, fmt.Errorf("s3_path_format %q has ${STREAM_NAME} only in the file name, so all streams share the same folders; "+
			"an Athena table reads every file under its location: put ${STREAM_NAME} in a folder (\"${STREAM_NAME}/...\")", t.PathFormat)
	}
	pattern := t.Pattern(namespace, stream)
	dir := pattern[:strings.LastIndexByte(pattern, '/')+1]
	if strings.ContainsAny(dir, `'\`) {
		return nil, fmt.Errorf("the object path %q holds a quote or backslash, which a table property cannot hold", dir)
	}
	p := &Partitioning{}
	var base, tmpl strings.Builder
	partitioned := false
	var run []string // folders of an unnamed date run
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		name := "partition_date"
		for n := 2; p.has(name); n++ {
			name = "partition_date_" + strconv.Itoa(n)
		}
		col, err := dateColumn(name, strings.Join(run, "/"), since)
		if err != nil {
			return err
		}
		p.Columns = append(p.Columns, *col)
		tmpl.WriteString("${" + name + "}/")
		run = nil
		return nil
	}
	for _, seg := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
		vars, err := folderVars(seg)
		if err != nil {
			return nil, err
		}
		if len(vars) == 0 {
			if err := flush(); err != nil {
				return nil, err
			}
			if partitioned {
				tmpl.WriteString(seg + "/")
			} else {
				base.WriteString(seg + "/")
			}
			continue
		}
		partitioned = true
		key, value, hive := strings.Cut(seg, "=")
		if !hive || strings.Contains(key, "${") {
			run = append(run, seg)
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		name := strings.ToLower(key)
		if !columnNameRe.MatchString(name) || p.has(name) {
			return nil, fmt.Errorf("folder %q of s3_path_format names partition column %q, which is not a usable Athena column name (lower-case letters, digits, _; once)", seg, key)
		}
		col, err := valueColumn(name, value, since)
		if err != nil {
			return nil, fmt.Errorf("folder %q: %w", seg, err)
		}
		p.Columns = append(p.Columns, *col)
		tmpl.WriteString(key + "=${" + name + "}/")
	}
	if err := flush(); err != nil {
		return nil, err
	}
	p.Location = "s3://" + bucket + "/" + base.String()
	if partitioned {
		p.Template = p.Location + tmpl.String()
	}
	return p, nil
}

func (p *Partitioning) has(name string) bool {
	for _, c := range p.Columns {
		if c.Name == name {
			return true
		}
	}
	return false
}

// folderVars returns the variables of one folder, refusing those a
// projection cannot enumerate.
func folderVars(seg string) ([]string, error) {
	var vars []string
	var err error
	objectkey.Tokenize(seg, func(text string, isVar bool) {
		if !isVar || err != nil {
			return
		}
		switch {
		case dateVar(text) >= 0:
			vars = append(vars, text)
		case text == "SECOND", text == "MILLISECOND", text == "EPOCH", text == "UUID":
			err = fmt.Errorf("folder %q of s3_path_format holds ${%s}, which partition projection cannot enumerate "+
				"(it can project ${YEAR}, ${MONTH}, ${DAY}, ${HOUR}, ${MINUTE}); move ${%s} into the file name, after the last /", seg, text, text)
		default:
			err = fmt.Errorf("folder %q of s3_path_format keeps the unknown variable ${%s} as text, which Athena's storage.location.template would read as a placeholder", seg, text)
		}
	})
	return vars, err
}

// valueColumn is the column of a Hive-style folder's value.
func valueColumn(name, value string, since time.Time) (*PartitionColumn, error) {
	var toks []string
	objectkey.Tokenize(value, func(text string, isVar bool) {
		if isVar {
			toks = append(toks, text)
		} else {
			toks = append(toks, "")
		}
	})
	if len(toks) != 1 || toks[0] == "" {
		return dateColumn(name, value, since)
	}
	prefix := "projection." + name + "."
	col := &PartitionColumn{Name: name, Type: "int", Props: []Prop{{prefix + "type", "integer"}}}
	switch toks[0] {
	case "YEAR":
		col.Props = append(col.Props, Prop{prefix + "range", fmt.Sprintf("%d,%d", since.Year(), maxYear)})
	case "MONTH":
		col.Props = append(col.Props, Prop{prefix + "range", "1,12"}, Prop{prefix + "digits", "2"})
	case "DAY":
		col.Props = append(col.Props, Prop{prefix + "range", "1,31"}, Prop{prefix + "digits", "2"})
	case "HOUR":
		col.Props = append(col.Props, Prop{prefix + "range", "0,23"}, Prop{prefix + "digits", "2"})
	case "MINUTE":
		col.Props = append(col.Props, Prop{prefix + "range", "0,59"}, Prop{prefix + "digits", "2"})
	}
	return col, nil
}

// dateColumn is a date projection over text holding date variables and
// literal text (which may span folders).
func dateColumn(name, text string, since time.Time) (*PartitionColumn, error) {
	var format strings.Builder
	next := 0
	var err error
	objectkey.Tokenize(text, func(s string, isVar bool) {
		if err != nil {
			return
		}
		if !isVar {
			format.WriteString(javaLiteral(s))
			return
		}
		i := dateVar(s)
		if i != next {
			err = fmt.Errorf("%q is not a date Athena can project: the variables must run from ${YEAR} down (${YEAR}, ${MONTH}, ${DAY}, ${HOUR}, ${MINUTE}), each once", text)
			return
		}
		next++
		format.WriteString(dateVars[i].letters)
	})
	if err != nil {
		return nil, err
	}
	f := format.String()
	prefix := "projection." + name + "."
	return &PartitionColumn{Name: name, Type: "string", Props: []Prop{
		{prefix + "type", "date"},
		{prefix + "format", f},
		{prefix + "range", objectkey.FormatJavaDate(since.UTC(), f) + ",NOW"},
		{prefix + "interval", "1"},
		{prefix + "interval.unit", dateVars[next-1].unit},
	}}, nil
}

// javaLiteral quotes literal text for a java.time pattern: letters and the
// pattern's reserved characters go inside '...', a quote is doubled.
func javaLiteral(s string) string {
	var b strings.Builder
	quoted := false
	for _, r := range s {
		special := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("'[]{}#", r)
		if special != quoted {
			b.WriteByte('\'')
			quoted = special
		}
		if r == '\'' {
			b.WriteString("''")
			continue
		}
		b.WriteRune(r)
	}
	if quoted {
		b.WriteByte('\'')
	}
	return b.String()
}
