package binlog

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// Converter appends the UTF-8 form of text stored in a column's character
// set to dst. The binary log carries strings in the column's charset; the
// snapshot reads them converted to UTF-8 by the server, so CDC converts
// them the same way.
type Converter interface {
	AppendUTF8(dst, src []byte) []byte
}

// ConverterFor returns the converter of a MySQL character set, nil when the
// bytes are already UTF-8 (utf8mb4, utf8mb3, ascii, binary) and ok == false
// when the charset is not supported (the bytes are then passed through and
// invalid UTF-8 becomes U+FFFD in records).
func ConverterFor(charset string) (c Converter, ok bool) {
	cs := strings.ToLower(charset)
	switch cs {
	case "", "utf8mb4", "utf8mb3", "utf8", "ascii", "binary":
		return nil, true
	case "latin1":
		return latin1, true
	}
	if t, found := singleByte[cs]; found {
		return newTable(t), true
	}
	if e, found := multiByte[cs]; found {
		return decoderConverter{e}, true
	}
	return nil, false
}

// byteTable maps every byte of a single-byte charset to a rune.
type byteTable [256]rune

func (t *byteTable) AppendUTF8(dst, src []byte) []byte {
	for _, b := range src {
		if b < utf8.RuneSelf && t[b] == rune(b) {
			dst = append(dst, b)
			continue
		}
		dst = utf8.AppendRune(dst, t[b])
	}
	return dst
}

func newTable(cm *charmap.Charmap) *byteTable {
	var t byteTable
	for i := range 256 {
		r := cm.DecodeByte(byte(i))
		if r == utf8.RuneError {
			r = rune(i) // undefined bytes map to the same code point, as MySQL does
		}
		t[i] = r
	}
	return &t
}

// latin1 is MySQL's latin1, which is Windows-1252 with the five undefined
// bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) mapped to the same code points.
var latin1 = newTable(charmap.Windows1252)

var singleByte = map[string]*charmap.Charmap{
	"latin2": charmap.ISO8859_2, "latin5": charmap.ISO8859_9, "latin7": charmap.ISO8859_13,
	"greek": charmap.ISO8859_7, "hebrew": charmap.ISO8859_8,
	"cp1250": charmap.Windows1250, "cp1251": charmap.Windows1251, "cp1256": charmap.Windows1256,
	"cp1257": charmap.Windows1257, "cp850": charmap.CodePage850, "cp852": charmap.CodePage852,
	"cp866": charmap.CodePage866, "koi8r": charmap.KOI8R, "koi8u": charmap.KOI8U,
	"macroman": charmap.Macintosh, "tis620": charmap.Windows874,
}

var multiByte = map[string]encoding.Encoding{
	"ucs2":    unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16":   unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16le": unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
	"utf32":   utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
	"gbk":     simplifiedchinese.GBK, "gb2312": simplifiedchinese.GBK, "gb18030": simplifiedchinese.GB18030,
	"big5": traditionalchinese.Big5, "sjis": japanese.ShiftJIS, "cp932": japanese.ShiftJIS,
	"ujis": japanese.EUCJP, "eucjpms": japanese.EUCJP, "euckr": korean.EUCKR,
}

type decoderConverter struct{ e encoding.Encoding }

func (d decoderConverter) AppendUTF8(dst, src []byte) []byte {
	out, err := d.e.NewDecoder().Bytes(src)
	if err != nil {
		// Invalid input: keep what can be kept; the record encoder
		// replaces invalid UTF-8 with U+FFFD.
		return append(dst, src...)
	}
	return append(dst, out...)
}
