package auth

import "testing"

// TestDummyHashMatchesCurrentParameters guards the timing promise of DummyVerify: the dummy hash
// must cost what a hash made by Hash costs, so it must carry exactly today's parameters.
func TestDummyHashMatchesCurrentParameters(t *testing.T) {
	h, err := parseArgon2Hash(dummyHash())
	if err != nil {
		t.Fatal(err)
	}
	if h.memory != HashMemoryKiB || h.time != HashTime || h.threads != HashThreads ||
		len(h.salt) != SaltLength || len(h.key) != KeyLength {
		t.Errorf("dummy hash parameters m=%d t=%d p=%d salt=%d key=%d, want today's", h.memory, h.time, h.threads, len(h.salt), len(h.key))
	}
	if first, again := dummyHash(), dummyHash(); first != again {
		t.Error("the dummy hash changes between calls")
	}
}
