package projection

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The bulk rebuild (see rebuild_bulk.go) writes in Go what the reducers' SQL computes in Postgres:
// the text of a jsonb value (a domain's settings are stored as jsonb's canonical text; a scrubbed
// audit row's change too), the merge of two objects (jsonb ||), personal_scrub and format(). These
// functions do exactly that for the inputs they accept, and refuse the others with
// errNotCanonical rather than guess: a number in exponent form, a \u0000 or a lone surrogate
// (which jsonb rejects: the SQL path parks the event), text that is not UTF-8, any format()
// conversion but %N$s and %%. A refusal makes the bulk rebuild give up and replay event by event.

// errNotCanonical reports a value the Go renderings do not handle with certainty.
var errNotCanonical = errors.New("projection: value outside what the bulk rebuild renders")

// jsonbMember is one key of an object and its value's jsonb text.
type jsonbMember struct {
	key string
	val []byte
}

// jsonbText returns the text Postgres gives b cast to jsonb and back (b::jsonb::text).
func jsonbText(b []byte) (string, error) {
	w := jsonbWriter{p: jsonbParser{b: b}, out: make([]byte, 0, len(b)+len(b)/8)}
	if err := w.document(); err != nil {
		return "", err
	}
	return string(w.out), nil
}

// jsonbObject returns the members of b, an object, in jsonb's form and order; ok is false when b
// is another value.
func jsonbObject(b []byte) (members []jsonbMember, ok bool, err error) {
	w := jsonbWriter{p: jsonbParser{b: b}, top: true}
	if err := w.document(); err != nil {
		return nil, false, err
	}
	return w.topMembers, w.topObject, nil
}

// jsonbRenderObject returns the jsonb text of an object with the given members, which are in
// jsonb's order.
func jsonbRenderObject(members []jsonbMember) string {
	n := 2
	for _, m := range members {
		n += len(m.key) + len(m.val) + 6
	}
	out := make([]byte, 0, n)
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = appendJSONBString(out, m.key)
		out = append(out, ": "...)
		out = append(out, m.val...)
	}
	return string(append(out, '}'))
}

// jsonbSet gives key the value val among members, keeping jsonb's order.
func jsonbSet(members []jsonbMember, key string, val []byte) []jsonbMember {
	i, ok := slices.BinarySearchFunc(members, key, func(m jsonbMember, k string) int { return jsonbKeyCompare(m.key, k) })
	if ok {
		members[i].val = val
		return members
	}
	return slices.Insert(members, i, jsonbMember{key: key, val: val})
}

// jsonbMerge returns the text of (a::jsonb || b::jsonb) for two objects, as updateDomainSQL
// merges a domain's settings with a domain.updated's patch.
func jsonbMerge(a string, b []byte) (string, error) {
	x, ok, err := jsonbObject([]byte(a))
	if err != nil {
		return "", err
	}
	y, ok2, err := jsonbObject(b)
	if err != nil {
		return "", err
	}
	if !ok || !ok2 {
		return "", fmt.Errorf("%w: merge of a non-object", errNotCanonical)
	}
	for _, m := range y {
		x = jsonbSet(x, m.key, m.val)
	}
	return jsonbRenderObject(x), nil
}

// personalScrubText returns the text of personal_scrub(change::jsonb, keys, marker)::json
// (migrations 0013 and 0014): each of keys that the object holds with a value other than null or
// "", at its top level and in its "personal" object, replaced by marker.
func personalScrubText(change string, keys []string, marker string) (string, error) {
	members, ok, err := jsonbObject([]byte(change))
	if err != nil {
		return "", err
	}
	if !ok {
		return jsonbText([]byte(change))
	}
	mark := appendJSONBString(nil, marker)
	scrub := func(members []jsonbMember) []jsonbMember {
		for _, k := range keys {
			for i := range members {
				if v := string(members[i].val); members[i].key == k && v != "null" && v != `""` {
					members[i].val = mark
				}
			}
		}
		return members
	}
	members = scrub(members)
	for i, m := range members {
		if m.key != "personal" {
			continue
		}
		inner, ok, err := jsonbObject(m.val)
		if err != nil {
			return "", err
		}
		if ok {
			members[i].val = []byte(jsonbRenderObject(scrub(inner)))
		}
	}
	return jsonbRenderObject(members), nil
}

// jsonbKeyCompare orders object keys as jsonb stores them: shorter first, then byte-wise.
func jsonbKeyCompare(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// jsonbWriter renders JSON as jsonb's text while it parses it: each value is appended to out as
// soon as it is read; an object's members are rendered one after the other, then put in jsonb's
// order (keys once, the last given wins) from a copy.
type jsonbWriter struct {
	p       jsonbParser
	out     []byte
	scratch []byte
	// members holds the members of the object being read at each depth.
	members [][]pendingMember
	// top asks for the members of a top-level object instead of its text.
	top        bool
	topObject  bool
	topMembers []jsonbMember
}

// pendingMember is a member whose value is out[start:end]. Its key points into the input, or to
// its decoded copy when it holds escapes.
type pendingMember struct {
	key        []byte
	start, end int
}

// jsonbMaxDepth bounds nesting (Postgres' own limit is the stack's).
const jsonbMaxDepth = 1000

func (w *jsonbWriter) document() error {
	w.p.space()
	if err := w.value(0); err != nil {
		return err
	}
	w.p.space()
	if w.p.i != len(w.p.b) {
		return w.p.fail("trailing data")
	}
	return nil
}

func (w *jsonbWriter) value(depth int) error {
	p := &w.p
	if depth > jsonbMaxDepth {
		return p.fail("nested too deep")
	}
	if p.i >= len(p.b) {
		return p.fail("ends early")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return w.object(depth)
	case c == '[':
		p.i++
		w.out = append(w.out, '[')
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			w.out = append(w.out, ']')
			return nil
		}
		for first := true; ; first = false {
			if !first {
				w.out = append(w.out, ", "...)
			}
			p.space()
			if err := w.value(depth + 1); err != nil {
				return err
			}
			p.space()
			if p.i < len(p.b) && p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.b) && p.b[p.i] == ']' {
				p.i++
				w.out = append(w.out, ']')
				return nil
			}
			return p.fail("expects , or ]")
		}
	case c == '"':
		s, raw, err := p.str()
		if err != nil {
			return err
		}
		if raw {
			// Without escapes, valid JSON text holds no quote, backslash or control character:
			// jsonb writes it as it is.
			w.out = append(append(append(w.out, '"'), s...), '"')
			return nil
		}
		w.out = appendJSONBString(w.out, string(s))
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		num, err := p.number()
		w.out = append(w.out, num...)
		return err
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if len(p.b)-p.i >= len(lit) && string(p.b[p.i:p.i+len(lit)]) == lit {
				p.i += len(lit)
				w.out = append(w.out, lit...)
				return nil
			}
		}
		return p.fail("unexpected character")
	}
}

func (w *jsonbWriter) object(depth int) error {
	p := &w.p
	p.i++
	for len(w.members) <= depth {
		w.members = append(w.members, nil)
	}
	ms := w.members[depth][:0]
	base := len(w.out)
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
	} else {
		for {
			p.space()
			if p.i >= len(p.b) || p.b[p.i] != '"' {
				return p.fail("expects a key")
			}
			k, _, err := p.str()
			if err != nil {
				return err
			}
			p.space()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return p.fail("expects a colon")
			}
			p.i++
			p.space()
			start := len(w.out)
			if err := w.value(depth + 1); err != nil {
				return err
			}
			ms = append(ms, pendingMember{key: k, start: start - base, end: len(w.out) - base})
			p.space()
			if p.i < len(p.b) && p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.b) && p.b[p.i] == '}' {
				p.i++
				break
			}
			return p.fail("expects , or }")
		}
	}
	w.members[depth] = ms
	// jsonb keeps the last of duplicate keys, and orders the keys.
	slices.SortStableFunc(ms, func(a, b pendingMember) int {
		if len(a.key) != len(b.key) {
			return len(a.key) - len(b.key)
		}
		return bytes.Compare(a.key, b.key)
	})
	w.scratch = append(w.scratch[:0], w.out[base:]...)
	w.out = w.out[:base]
	if depth == 0 && w.top {
		w.topObject = true
		for i, m := range ms {
			if i+1 < len(ms) && bytes.Equal(ms[i+1].key, m.key) {
				continue
			}
			w.topMembers = append(w.topMembers, jsonbMember{key: string(m.key), val: slices.Clone(w.scratch[m.start:m.end])})
		}
		return nil
	}
	w.out = append(w.out, '{')
	first := true
	for i, m := range ms {
		if i+1 < len(ms) && bytes.Equal(ms[i+1].key, m.key) {
			continue
		}
		if !first {
			w.out = append(w.out, ", "...)
		}
		first = false
		w.out = appendJSONBString(w.out, string(m.key))
		w.out = append(w.out, ": "...)
		w.out = append(w.out, w.scratch[m.start:m.end]...)
	}
	w.out = append(w.out, '}')
	return nil
}

// appendJSONBString appends s quoted as Postgres' escape_json quotes it: only the quote, the
// backslash and the control characters are escaped.
func appendJSONBString(out []byte, s string) []byte {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		out = append(out, s[start:i]...)
		start = i + 1
		switch c {
		case '"':
			out = append(out, `\"`...)
		case '\\':
			out = append(out, `\\`...)
		case '\b':
			out = append(out, `\b`...)
		case '\f':
			out = append(out, `\f`...)
		case '\n':
			out = append(out, `\n`...)
		case '\r':
			out = append(out, `\r`...)
		case '\t':
			out = append(out, `\t`...)
		default:
			out = append(out, `\u00`...)
			out = append(out, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		}
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

// jsonbParser reads JSON as jsonb's input does, and fails with errNotCanonical for what that
// refuses or this parser does not handle.
type jsonbParser struct {
	b []byte
	i int
}

func (p *jsonbParser) fail(what string) error {
	return fmt.Errorf("%w: JSON %s at byte %d", errNotCanonical, what, p.i)
}

func (p *jsonbParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// number reads a number. jsonb stores numbers as numeric, whose text keeps the digits given
// (2.50 stays 2.50) but has no negative zero; exponents are refused.
func (p *jsonbParser) number() ([]byte, error) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	intStart := p.i
	if n := digits(); n == 0 || (n > 1 && p.b[intStart] == '0') {
		return nil, p.fail("bad number")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.fail("bad number")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return nil, p.fail("number with an exponent")
	}
	text := p.b[start:p.i]
	if text[0] == '-' && len(bytes.Trim(text[1:], "0.")) == 0 {
		text = text[1:] // numeric has no negative zero
	}
	return text, nil
}

// str reads a string, p.b[p.i] being its opening quote, and returns its text: a part of the input
// when raw, that is when it held no escape.
func (p *jsonbParser) str() (s []byte, raw bool, err error) {
	p.i++
	start := p.i
	var sb []byte // nil until an escape is met
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			raw = sb == nil
			if raw {
				s = p.b[start:p.i]
			} else {
				s = append(sb, p.b[start:p.i]...)
			}
			p.i++
			if !utf8.Valid(s) {
				return nil, false, p.fail("string that is not UTF-8")
			}
			return s, raw, nil
		case c < 0x20:
			return nil, false, p.fail("unescaped control character")
		case c == '\\':
			sb = append(sb, p.b[start:p.i]...)
			p.i++
			if p.i >= len(p.b) {
				return nil, false, p.fail("ends early")
			}
			e := p.b[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				sb = append(sb, e)
			case 'b':
				sb = append(sb, '\b')
			case 'f':
				sb = append(sb, '\f')
			case 'n':
				sb = append(sb, '\n')
			case 'r':
				sb = append(sb, '\r')
			case 't':
				sb = append(sb, '\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return nil, false, err
				}
				switch {
				case r == 0:
					return nil, false, p.fail(`\u0000`) // jsonb cannot hold it
				case utf16.IsSurrogate(r):
					if r >= 0xdc00 || len(p.b)-p.i < 6 || p.b[p.i] != '\\' || p.b[p.i+1] != 'u' {
						return nil, false, p.fail("lone surrogate")
					}
					p.i += 2
					r2, err := p.hex4()
					if err != nil {
						return nil, false, err
					}
					if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
						return nil, false, p.fail("lone surrogate")
					}
				}
				sb = utf8.AppendRune(sb, r)
			default:
				return nil, false, p.fail("bad escape")
			}
			start = p.i
		default:
			p.i++
		}
	}
	return nil, false, p.fail("unterminated string")
}

func (p *jsonbParser) hex4() (rune, error) {
	if len(p.b)-p.i < 4 {
		return 0, p.fail("bad \\u escape")
	}
	n, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, p.fail("bad \\u escape")
	}
	p.i += 4
	return rune(n), nil
}

// pgFormat returns what Postgres' format(template, args...) returns for a template whose only
// conversions are %N$s (args are never NULL here) and %%.
func pgFormat(template string, args ...string) (string, error) {
	var out strings.Builder
	out.Grow(len(template) + 32)
	for i := 0; i < len(template); i++ {
		c := template[i]
		if c != '%' {
			out.WriteByte(c)
			continue
		}
		i++
		if i < len(template) && template[i] == '%' {
			out.WriteByte('%')
			continue
		}
		j := i
		for j < len(template) && template[j] >= '0' && template[j] <= '9' {
			j++
		}
		if j == i || j+1 >= len(template) || template[j] != '$' || template[j+1] != 's' {
			return "", fmt.Errorf("%w: format template %q", errNotCanonical, template)
		}
		n, err := strconv.Atoi(template[i:j])
		if err != nil || n < 1 || n > len(args) {
			return "", fmt.Errorf("%w: format template %q", errNotCanonical, template)
		}
		out.WriteString(args[n-1])
		i = j + 1
	}
	return out.String(), nil
}
