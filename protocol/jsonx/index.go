package jsonx

// Field is one member of a JSON object, as located by IndexObject. Its
// slices point into the scanned input.
type Field struct {
	// Key is the raw content of the member's name, between the quotes;
	// escape sequences are not decoded (see KeyEscaped).
	Key []byte
	// Value is the member's raw JSON value.
	Value []byte
	// KeyEscaped is set when Key holds escape sequences (decode it with
	// Unescape).
	KeyEscaped bool
	// ValueEscaped is set when Value is a string whose content holds
	// escape sequences.
	ValueEscaped bool
	// ValueNonASCII is set when Value is a string whose raw content holds
	// a byte of 0x80 or above; a string without it is plain ASCII (before
	// any escapes are decoded), so it is valid UTF-8.
	ValueNonASCII bool
}

// IndexObject validates the JSON object that starts at or after b[i]
// (leading whitespace is skipped) exactly as SkipValue does, and appends its members to fields in the
// order written. It returns the extended fields and the index just past
// the object. Members of nested containers are not indexed. On error,
// fields holds the members met before it.
//
// It lets a caller that both validates and converts an object (such as a
// record's data) look at each byte once: the values are delimited during
// validation and the caller reads them without scanning for their ends.
func IndexObject(b []byte, i int, fields []Field) ([]Field, int, error) {
	i = SkipSpace(b, i)
	if i >= len(b) || b[i] != '{' {
		return fields, i, syntaxErr(i, "expected object")
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return fields, i + 1, nil
	}
	for {
		// Keys are short and plain: scanned here byte by byte; a key
		// with an escape or an error is left to ScanString.
		var key []byte
		var keyEsc bool
		var j int
		var err error
		k := i + 1
		if i < len(b) && b[i] == '"' {
			for k < len(b) && !needsEscape[b[k]] {
				k++
			}
		}
		if k < len(b) && b[k] == '"' && b[i] == '"' {
			key, j = b[i+1:k], k+1
		} else {
			if key, keyEsc, j, err = ScanString(b, i); err != nil {
				return fields, j, err
			}
		}
		j = SkipSpace(b, j)
		if j >= len(b) || b[j] != ':' {
			return fields, j, syntaxErr(j, "expected ':' after object key")
		}
		vs := SkipSpace(b, j+1)
		var ve int
		valEsc, valHigh := false, false
		var c byte
		if vs < len(b) {
			c = b[vs]
		}
		// Scalars directly, as skipValue would scan them.
		switch {
		case c == '"':
			_, valEsc, valHigh, ve, err = scanString(b, vs)
		case c >= '1' && c <= '9':
			// An integer without sign, fraction or exponent (most
			// numbers) is its run of digits; anything else is scanned
			// in full.
			ve = vs + 1
			for ve < len(b) && b[ve]-'0' <= 9 {
				ve++
			}
			if ve < len(b) && (b[ve] == '.' || b[ve]|0x20 == 'e') {
				ve, err = ScanNumber(b, vs)
			}
		case c == '-' || c == '0':
			ve, err = ScanNumber(b, vs)
		case c == 'n':
			ve, err = scanLiteral(b, vs, "null")
		case c == 't':
			ve, err = scanLiteral(b, vs, "true")
		case c == 'f':
			ve, err = scanLiteral(b, vs, "false")
		default:
			// The value is nested in this object: one level of depth.
			ve, err = skipValue(b, vs, 1)
		}
		if err != nil {
			return fields, ve, err
		}
		// Filled in place: appending a composite literal copies it.
		n := len(fields)
		if n < cap(fields) {
			fields = fields[:n+1]
		} else {
			fields = append(fields, Field{})
		}
		f := &fields[n]
		f.Key, f.Value = key, b[vs:ve]
		f.KeyEscaped, f.ValueEscaped, f.ValueNonASCII = keyEsc, valEsc, valHigh
		i = SkipSpace(b, ve)
		if i >= len(b) {
			return fields, i, syntaxErr(i, "unexpected end of input")
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case '}':
			return fields, i + 1, nil
		default:
			return fields, i, syntaxErr(i, "expected ',' or end of container")
		}
	}
}
