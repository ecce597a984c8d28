package testenv

import (
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStream starts an in-process NATS server (see NATS), connects to it and returns the JetStream
// context and the server's client URL. The connection is closed when the test ends.
func JetStream(t testing.TB) (jetstream.JetStream, string) {
	t.Helper()
	url := NATS(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("testenv: connect to NATS at %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("testenv: JetStream: %v", err)
	}
	return js, url
}
