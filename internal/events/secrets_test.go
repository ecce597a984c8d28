package events

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestNoPayloadCarriesSecrets guards the rule that no event holds a password, a password hash or
// a session token: no registered payload may have a field whose JSON name suggests one.
func TestNoPayloadCarriesSecrets(t *testing.T) {
	forbidden := []string{"password", "hash", "token", "secret", "salt", "credential"}
	for typ, reg := range registry {
		p, err := reg.decode(json.RawMessage(`{}`))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		rt := reflect.TypeOf(p)
		for i := range rt.NumField() {
			name := strings.Split(rt.Field(i).Tag.Get("json"), ",")[0]
			for _, f := range forbidden {
				if strings.Contains(strings.ToLower(name), f) || strings.Contains(strings.ToLower(rt.Field(i).Name), f) {
					t.Errorf("%s has field %s (%q): secrets never enter the log", typ, rt.Field(i).Name, name)
				}
			}
		}
	}
}
