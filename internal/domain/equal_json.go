package domain

import (
	"bytes"
	"encoding/json"
)

// equalJSON reports whether two values encode to the same JSON: how settings are compared, so
// that nil and empty lists, or maps in another order, are not taken for changes.
func equalJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	ja = bytes.ReplaceAll(ja, []byte("null"), []byte("[]"))
	jb = bytes.ReplaceAll(jb, []byte("null"), []byte("[]"))
	return bytes.Equal(ja, jb)
}
