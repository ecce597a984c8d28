package query

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/projection/projectiontest"
	"github.com/toffstech/customer-management/internal/testenv"
)

// sameAsEncodingJSON fails the test unless decodeSettings(b) gives what json.Unmarshal gives:
// the same value, or an error for both. It reports whether the fast path decoded b.
func sameAsEncodingJSON(t testing.TB, b []byte) bool {
	t.Helper()
	var want events.DomainSettings
	wantErr := json.Unmarshal(b, &want)
	got, err := decodeSettings(b)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%s:\ndecodeSettings error %v, json.Unmarshal error %v", b, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\ndecodeSettings %#v\njson.Unmarshal %#v", b, got, want)
	}
	p := settingsParser{b: b}
	_, fast := p.settings()
	return fast
}

// settingsSeeds are inputs at the edges of the fast path.
var settingsSeeds = []string{
	referenceDomainJSON,
	`{}`, ` { } `, `null`, `[]`, `"x"`, `{"host":"a.example"}x`, `{"host":"a.example"} `, "{\"host\":\"a.example\"}\x00",
	`{"host":"a.example","host":"b.example"}`,                         // duplicate: last wins
	`{"cache":{"enabled":true},"cache":{"ttl_minutes":5}}`,            // duplicate objects merge
	`{"waf":{"owasp":{"A01":true,"A01":false}}}`,                      // duplicate map keys
	`{"Host":"a.example"}`, `{"HOST":"a.example","host":"b.example"}`, // keys match case-insensitively
	`{"h\u006fst":"a.example"}`, `{"unknown":{"deep":[1,{"x":null}]},"host":"a"}`,
	`{"host":null}`, `{"http_ports":null}`, `{"cache":null}`, `{"waf":{"owasp":null}}`, `{"origins":[null]}`,
	`{"http_ports":[]}`, `{"http_ports":[80,443]}`, `{"http_ports":[-0, -1]}`, `{"http_ports":[1.0]}`, `{"http_ports":[1e2]}`,
	`{"http_ports":[01]}`, `{"http_ports":[9223372036854775807]}`, `{"http_ports":[9223372036854775808]}`,
	`{"http_ports":[123456789012345678]}`, `{"http_ports":[1234567890123456789]}`, `{"http_ports":[1,]}`, `{"http_ports":[,1]}`,
	`{"http_ports":["80"]}`, `{"http_ports":80}`, `{"scheme":1}`, `{"cache":{"enabled":"yes"}}`, `{"cache":{"enabled":tru}}`,
	`{"cache":{"enabled":truex}}`, `{"host":"a.example",}`, `{,}`, `{"host" "a"}`, `{"host":"a"`, `{"host":"a\"}`,
	`{"host":"caf\u00e9"}`, `{"host":"café"}`, "{\"host\":\"caf\xe9\"}", "{\"host\":\"a\x01b\"}", `{"host":"\ud83d\ude00 \ud83d"}`,
	`{"host":"say \"hi\", \\ \/ \b\f\n\r\t"}`, "{\n\t\"host\" :\r\n \"a.example\" }",
	`{"redirection":{"rules":[{"name":"a, b","type":"Static","status_code":301,"url":"https://x","priority":1}],"redirect_url":{"enabled":true,"scheme":"HTTPS","url":""}}}`,
	`{"ssl":{"type":"Upload SSL"}}`, `{"ssl":{"expires_at":"2027-01-31","type":"Auto SSL"}}`,
	`{"waf":{"owasp":{},"mode":"Block","enabled":false,"rule_action":"JS Challenge"}}`, `{"waf":{"owasp":{"A11":true,"x":false}}}`,
	`{"origins":[{"type":"FQDN","address":"o.example","port":8080,"enabled":true,"backup":true},{}]}`,
	`{"tls_protocols":["TLSv1.3","TLSv1.3"],"cache":{"extensions":[],"force_params":["v"]}}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17}`,
}

// referenceDomainJSON is the domain JSON shape of the reference.
const referenceDomainJSON = `{"host": "www.example.com", "http_ports": [80], "https_ports": [443], "scheme": "HTTPS",
  "origins": [{"type": "IPv4", "address": "203.0.113.10", "port": 443, "enabled": true, "backup": false}],
  "load_balancing": "Round Robin",
  "cache": {"enabled": true, "query_string": false, "ttl_minutes": 120, "extensions": ["css", "js"], "follow_origin": false, "force_params": []},
  "redirection": {"domain_flattening": false, "redirect_url": {"enabled": false, "scheme": "HTTPS", "url": ""},
                  "rules": [{"name": "old-blog", "type": "Static", "status_code": 301, "url": "https://example.com/blog", "priority": 1}]},
  "ssl": {"type": "Auto SSL", "expires_at": "2027-01-31"}, "tls_protocols": ["TLSv1.2", "TLSv1.3"],
  "waf": {"enabled": true, "mode": "Block", "owasp": {"A01": true, "A02": true, "A03": true}}}`

func TestDecodeSettingsIsEncodingJSON(t *testing.T) {
	for _, s := range settingsSeeds {
		sameAsEncodingJSON(t, []byte(s))
	}
	if !sameAsEncodingJSON(t, []byte(referenceDomainJSON)) {
		t.Error("the reference domain took the slow path")
	}

	// Random settings as Go encodes them and as the read model stores them (jsonb's text).
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	w := projectiontest.NewWriter(nil)
	rng := rand.New(rand.NewPCG(51, 52))
	var fast, total int
	for range 300 {
		raw, err := json.Marshal(w.RandomDomainSettings(rng))
		if err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := pool.QueryRow(ctx, "SELECT $1::jsonb::json::text", string(raw)).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		for _, b := range [][]byte{raw, []byte(stored)} {
			total++
			if sameAsEncodingJSON(t, b) {
				fast++
			}
		}
	}
	// Random rule names have quotes and accents; the rest takes the fast path.
	if fast < total/2 {
		t.Errorf("only %d of %d random settings took the fast path", fast, total)
	}
}

func FuzzDecodeSettings(f *testing.F) {
	for _, s := range settingsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sameAsEncodingJSON(t, b)
	})
}

func BenchmarkDecodeSettings(b *testing.B) {
	var s events.DomainSettings
	if err := json.Unmarshal([]byte(referenceDomainJSON), &s); err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(s)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := decodeSettings(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			var s events.DomainSettings
			if err := json.Unmarshal(raw, &s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
