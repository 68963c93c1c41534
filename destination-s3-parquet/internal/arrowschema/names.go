package arrowschema

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// SanitizeName applies Airbyte's Avro name rules (AvroNameTransformer and
// Transformations.toAvroSafeName): NFKD normalisation without combining
// marks, whitespace runs to _, any other character outside [A-Za-z0-9_] to
// _, and a leading _ when the name does not start with a letter or _.
func SanitizeName(name string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFKD.String(name) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte('_')
			}
			space = true
			continue
		}
		space = false
		if r < 0x80 && (r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		s = "_" + s
	}
	return s
}

// sanitizeColumns sets Column on every field (recursively). Names that
// collide after sanitising, or with a reserved metadata column, get a _2, _3,
// ... suffix in schema order (Airbyte fails the sync instead).
func sanitizeColumns(fs []*Field, reserved []string) {
	used := map[string]bool{}
	for _, r := range reserved {
		used[strings.ToLower(r)] = true
	}
	for _, f := range fs {
		base := SanitizeName(f.Name)
		col := base
		for i := 2; used[strings.ToLower(col)]; i++ {
			col = base + "_" + strconv.Itoa(i)
		}
		used[strings.ToLower(col)] = true
		f.Column = col
		sanitizeNode(f.Node)
	}
}

func sanitizeNode(n *Node) {
	switch n.Kind {
	case Object:
		var reserved []string
		if n.AdditionalProperties {
			reserved = []string{ColAdditionalPro}
		}
		sanitizeColumns(n.Fields, reserved)
	case Array:
		sanitizeNode(n.Items)
	case Union:
		for _, o := range n.Options {
			sanitizeNode(o)
		}
	}
}
