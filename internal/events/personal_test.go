package events

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestEveryPersonalFieldIsMapped guards erasure: in every registered payload, filled with marked
// values, MapPersonal must reach every field whose JSON name says it holds personal data (an
// email or a remark anywhere, a name in a user's event) and nothing else.
func TestEveryPersonalFieldIsMapped(t *testing.T) {
	for typ, reg := range registry {
		p, err := reg.decode(json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		v := reflect.New(reflect.TypeOf(p)).Elem()
		fill(v, "clear-")
		p = v.Interface().(Payload)
		visited := map[string]bool{}
		out, err := MapPersonal(p, func(field, value string) (string, error) {
			visited[field] = true
			return "sealed-" + field, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		walk(m, "", func(path string, s string) {
			personal := strings.HasSuffix(path, "email") || strings.HasSuffix(path, "remark") ||
				(strings.HasPrefix(typ, "user.") && (path == "name" || strings.HasSuffix(path, ".name")))
			if personal && strings.HasPrefix(s, "clear-") {
				t.Errorf("%s: personal field %s is not mapped", typ, path)
			}
			if !personal && strings.HasPrefix(s, "sealed-") {
				t.Errorf("%s: field %s is mapped but is not personal", typ, path)
			}
		})
		for _, f := range PersonalFields[typ] {
			if !visited[f] {
				t.Errorf("%s: PersonalFields lists %s, which MapPersonal did not visit", typ, f)
			}
		}
		if len(visited) != len(PersonalFields[typ]) {
			t.Errorf("%s: MapPersonal visited %v, PersonalFields lists %v", typ, visited, PersonalFields[typ])
		}
	}
}

// fill sets every string reachable from v (fields, Opt values, pointers, one slice element) to
// prefix and its field name.
func fill(v reflect.Value, prefix string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(prefix + "x")
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), prefix)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), prefix)
	case reflect.Struct:
		if f := v.FieldByName("Set"); f.IsValid() && f.Kind() == reflect.Bool && v.NumField() == 3 { // Opt
			f.SetBool(true)
			fill(v.FieldByName("Value"), prefix)
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), prefix)
			}
		}
	}
}

// walk calls fn with the dotted path and value of every string in a decoded JSON value.
func walk(v any, path string, fn func(path, s string)) {
	switch x := v.(type) {
	case string:
		fn(path, x)
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walk(e, p, fn)
		}
	case []any:
		for _, e := range x {
			walk(e, path, fn)
		}
	}
}
