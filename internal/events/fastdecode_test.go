package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// decodeBoth decodes an envelope and its data with the fast decoder and with encoding/json, and
// fails unless both give the same values, or both fail.
func decodeBoth(t *testing.T, name string, raw []byte) {
	t.Helper()
	decodeWith := func(fn func([]byte, any) error) (Envelope, Payload, error, error) {
		saved := unmarshal
		unmarshal = fn
		defer func() { unmarshal = saved }()
		env, err := Decode(raw)
		if err != nil {
			return env, nil, err, nil
		}
		p, dataErr := DecodeData(env)
		return env, p, nil, dataErr
	}
	fastEnv, fastP, fastErr, fastDataErr := decodeWith(unmarshal)
	stdEnv, stdP, stdErr, stdDataErr := decodeWith(json.Unmarshal)
	if (fastErr == nil) != (stdErr == nil) {
		t.Fatalf("%s: envelope: fast decoder error %v, encoding/json error %v", name, fastErr, stdErr)
	}
	if fastErr != nil {
		return
	}
	if !reflect.DeepEqual(fastEnv, stdEnv) {
		t.Fatalf("%s: envelope differs:\nfast %#v\nstd  %#v", name, fastEnv, stdEnv)
	}
	if (fastDataErr == nil) != (stdDataErr == nil) {
		t.Fatalf("%s: data: fast decoder error %v, encoding/json error %v", name, fastDataErr, stdDataErr)
	}
	if !reflect.DeepEqual(fastP, stdP) {
		t.Fatalf("%s: data differs:\nfast %#v\nstd  %#v", name, fastP, stdP)
	}
}

// TestFastDecoderMatchesEncodingJSON: events decode with goccy/go-json (see unmarshal), which must
// give exactly what encoding/json gives — on every golden file and on the edge cases our
// payloads meet (merge-patch nulls, keys in another case, duplicate keys, escapes, invalid UTF-8,
// numbers a field cannot hold, null slices and strings).
func TestFastDecoderMatchesEncodingJSON(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("golden files: %v (%d)", err, len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		decodeBoth(t, filepath.Base(f), b)
	}

	envelope := func(typ, data string) []byte {
		return []byte(`{"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a53","source":"/customer-management/api","specversion":"1.0",` +
			`"type":"` + typ + `","subject":"x/1","time":"2026-11-27T10:15:30.123456Z","datacontenttype":"application/json",` +
			`"aggregatetype":"customer","aggregateid":"1","aggregateversion":3,"schemaversion":1,"actortype":"user",` +
			`"actorid":"0193a1b2-0000-7000-8000-0000000000b1","requestid":"req-1","data":` + data + `}`)
	}
	cases := map[string][]byte{
		"opt null":                envelope(CustomerUpdated, `{"parent_id":null,"name":"A"}`),
		"opt empty string":        envelope(CustomerUpdated, `{"address":""}`),
		"opt absent":              envelope(CustomerUpdated, `{}`),
		"opt wrong type":          envelope(CustomerUpdated, `{"name":12}`),
		"keys in another case":    envelope(CustomerCreated, `{"NAME":"Acme","Address":"1 Main St","parent_ID":"p"}`),
		"duplicate keys":          envelope(CustomerCreated, `{"name":"first","name":"second"}`),
		"unknown fields":          envelope(CustomerCreated, `{"name":"A","extra":{"deep":[1,2,{"x":null}]}}`),
		"escapes":                 envelope(CustomerCreated, `{"name":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \t","address":"\u0000"}`),
		"lone surrogate":          envelope(CustomerCreated, `{"name":"\ud83d x"}`),
		"invalid utf-8":           envelope(CustomerCreated, "{\"name\":\"a\xff\xfeb\"}"),
		"null string":             envelope(CustomerCreated, `{"name":null}`),
		"null slices":             envelope(DomainUpdated, `{"http_ports":null,"tls_protocols":null}`),
		"empty slices":            envelope(DomainUpdated, `{"http_ports":[],"cache":{"extensions":[],"force_params":null}}`),
		"float into int":          envelope(DomainUpdated, `{"http_ports":[80.5]}`),
		"exponent into int":       envelope(DomainUpdated, `{"http_ports":[1e2]}`),
		"overflowing int":         envelope(ExportSucceeded, `{"rows":99999999999999999999999}`),
		"negative uint":           envelope(ExportRequested, `{"after_seq":-1}`),
		"string for bool":         envelope(UserPasswordChanged, `{"by_user":"true"}`),
		"nested settings":         envelope(DomainAdded, `{"customer_id":"c","settings":{"host":"a.example","origins":[{"type":"IPv4","address":"203.0.113.1","port":443,"enabled":true}],"waf":{"enabled":true}}}`),
		"data not an object":      envelope(CustomerCreated, `[1,2]`),
		"data null":               envelope(CustomerCreated, `null`),
		"truncated":               envelope(CustomerCreated, `{"name":"A"`)[:120],
		"trailing garbage":        append(envelope(CustomerCreated, `{"name":"A"}`), []byte(" x")...),
		"time without zone":       []byte(strings.Replace(string(envelope(CustomerCreated, `{}`)), `10:15:30.123456Z`, `10:15:30`, 1)),
		"aggregateversion string": []byte(strings.Replace(string(envelope(CustomerCreated, `{}`)), `"aggregateversion":3`, `"aggregateversion":"3"`, 1)),
		"schema version too new":  []byte(strings.Replace(string(envelope(CustomerCreated, `{}`)), `"schemaversion":1`, `"schemaversion":9`, 1)),
		"export.failed v1 upcast": envelope(ExportFailed, `{"reason":"boom","attempts":2}`),
	}
	for name, raw := range cases {
		decodeBoth(t, name, raw)
	}
}
