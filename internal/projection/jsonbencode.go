package projection

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// jsonbOf returns jsonbText(json.Marshal(v)): the text of v stored through jsonb, as
// insertDomainSQL stores a domain's settings. Marshalling the settings and parsing the result
// again cost as much as decoding the event (measured: about 20 µs of a domain.added's 60), so a
// value whose type has only the kinds a DomainSettings holds (structs without embedded fields or
// unusual tags, strings, booleans, integers, slices, maps with string keys) is written directly,
// as encoding/json would write it and jsonb then reorder it. Any other type, and any string that
// is not valid UTF-8 (encoding/json rewrites it), goes through json.Marshal and jsonbText;
// TestJSONBOfMatchesMarshal holds both ways to the same text.
func jsonbOf(v any) (string, error) {
	rv := reflect.ValueOf(v)
	if enc := jsonbEncoderOf(rv.Type()); enc != nil {
		out, err := enc(make([]byte, 0, 1024), rv)
		if err == nil {
			return string(out), nil
		}
		if !errors.Is(err, errJSONBIndirect) {
			return "", err
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return jsonbText(raw)
}

// errJSONBIndirect sends a value to json.Marshal and jsonbText.
var errJSONBIndirect = errors.New("projection: value for json.Marshal")

// jsonbEncoder appends the jsonb text of v.
type jsonbEncoder func(out []byte, v reflect.Value) ([]byte, error)

// jsonbEncoders caches jsonbEncoderOf by type; nil when the type is not handled.
var jsonbEncoders sync.Map

func jsonbEncoderOf(t reflect.Type) jsonbEncoder {
	if e, ok := jsonbEncoders.Load(t); ok {
		return e.(jsonbEncoder)
	}
	e := newJSONBEncoder(t, 0)
	jsonbEncoders.Store(t, e)
	return e
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// newJSONBEncoder builds the encoder of t, or returns nil when t has a kind, a method or a tag
// whose encoding by encoding/json it does not mirror.
func newJSONBEncoder(t reflect.Type, depth int) jsonbEncoder {
	if depth > 32 || t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) ||
		reflect.PointerTo(t).Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(out []byte, v reflect.Value) ([]byte, error) {
			return strconv.AppendBool(out, v.Bool()), nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(out []byte, v reflect.Value) ([]byte, error) {
			return strconv.AppendInt(out, v.Int(), 10), nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(out []byte, v reflect.Value) ([]byte, error) {
			return strconv.AppendUint(out, v.Uint(), 10), nil
		}
	case reflect.String:
		return func(out []byte, v reflect.Value) ([]byte, error) {
			return appendJSONBText(out, v.String())
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // base64
			return nil
		}
		elem := newJSONBEncoder(t.Elem(), depth+1)
		if elem == nil {
			return nil
		}
		return func(out []byte, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return append(out, "null"...), nil
			}
			out = append(out, '[')
			for i := range v.Len() {
				if i > 0 {
					out = append(out, ", "...)
				}
				var err error
				if out, err = elem(out, v.Index(i)); err != nil {
					return nil, err
				}
			}
			return append(out, ']'), nil
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String || t.Key().Implements(textMarshalerType) || reflect.PointerTo(t.Key()).Implements(textMarshalerType) {
			return nil
		}
		elem := newJSONBEncoder(t.Elem(), depth+1)
		if elem == nil {
			return nil
		}
		return func(out []byte, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return append(out, "null"...), nil
			}
			keys := v.MapKeys()
			slices.SortFunc(keys, func(a, b reflect.Value) int { return jsonbKeyCompare(a.String(), b.String()) })
			out = append(out, '{')
			for i, k := range keys {
				if i > 0 {
					out = append(out, ", "...)
				}
				var err error
				if out, err = appendJSONBText(out, k.String()); err != nil {
					return nil, err
				}
				out = append(out, ": "...)
				if out, err = elem(out, v.MapIndex(k)); err != nil {
					return nil, err
				}
			}
			return append(out, '}'), nil
		}
	case reflect.Struct:
		return newJSONBStructEncoder(t, depth)
	}
	return nil
}

// jsonbField is one field of a struct as encoding/json writes it.
type jsonbField struct {
	name      string
	index     int
	omitEmpty bool
	enc       jsonbEncoder
}

func newJSONBStructEncoder(t reflect.Type, depth int) jsonbEncoder {
	var fields []jsonbField
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		if !jsonbPlainName(name) {
			return nil
		}
		f := jsonbField{name: name, index: i}
		for opt := range strings.SplitSeq(opts, ",") {
			switch opt {
			case "":
			case "omitempty":
				f.omitEmpty = true
			default: // omitzero, string, or an option of a later encoding/json
				return nil
			}
		}
		if f.enc = newJSONBEncoder(sf.Type, depth+1); f.enc == nil {
			return nil
		}
		fields = append(fields, f)
	}
	slices.SortStableFunc(fields, func(a, b jsonbField) int { return jsonbKeyCompare(a.name, b.name) })
	for i := 1; i < len(fields); i++ {
		if fields[i].name == fields[i-1].name { // encoding/json drops both
			return nil
		}
	}
	keys := make([][]byte, len(fields))
	for i, f := range fields {
		keys[i] = append(appendJSONBString(nil, f.name), ": "...)
	}
	return func(out []byte, v reflect.Value) ([]byte, error) {
		out = append(out, '{')
		first := true
		for i, f := range fields {
			fv := v.Field(f.index)
			if f.omitEmpty && jsonbEmpty(fv) {
				continue
			}
			if !first {
				out = append(out, ", "...)
			}
			first = false
			out = append(out, keys[i]...)
			var err error
			if out, err = f.enc(out, fv); err != nil {
				return nil, err
			}
		}
		return append(out, '}'), nil
	}
}

// jsonbEmpty reports whether omitempty omits v, as encoding/json decides it for the kinds handled
// here: false, 0, "", an empty slice or map; never a struct.
func jsonbEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() == 0
	}
	return false
}

// jsonbPlainName reports whether a field name is one encoding/json takes as it is and that needs
// no escaping.
func jsonbPlainName(name string) bool {
	for _, c := range name {
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return name != ""
}

// appendJSONBText appends a string as jsonb writes it. A NUL fails as jsonb fails; text that is not
// UTF-8 goes the indirect way, for encoding/json replaces its bad bytes.
func appendJSONBText(out []byte, s string) ([]byte, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, errNotCanonical
	}
	if !utf8.ValidString(s) {
		return nil, errJSONBIndirect
	}
	return appendJSONBString(out, s), nil
}
