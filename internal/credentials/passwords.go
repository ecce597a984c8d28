package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotFound is returned when a user has no credential, or a session does not exist.
var ErrNotFound = errors.New("credentials: not found")

// Credential is what is stored for one user.
type Credential struct {
	// Hash is the argon2id PHC string of the password.
	Hash string `json:"hash"`
	// Epoch is the session epoch: sessions issued under an older epoch are revoked.
	Epoch     uint64    `json:"epoch"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Passwords stores password hashes and session epochs by user id.
type Passwords struct {
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	now func() time.Time
}

// EnsurePasswords creates or updates the credentials bucket and returns its store.
func EnsurePasswords(ctx context.Context, js jetstream.JetStream, replicas int) (*Passwords, error) {
	kv, err := ensureBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket: CredentialsBucket, Description: "Password hashes and session epochs (never in the event log)",
		History: 1, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, err
	}
	return &Passwords{js: js, kv: kv, now: time.Now}, nil
}

// Get returns the user's credential, or ErrNotFound.
func (p *Passwords) Get(ctx context.Context, userID string) (Credential, error) {
	c, _, err := p.get(ctx, userID)
	return c, err
}

func (p *Passwords) get(ctx context.Context, userID string) (Credential, uint64, error) {
	if err := live(p.js); err != nil {
		return Credential{}, 0, err
	}
	e, err := p.kv.Get(ctx, userKey(userID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Credential{}, 0, ErrNotFound
	}
	if err != nil {
		return Credential{}, 0, fmt.Errorf("credentials: get: %w", err)
	}
	var c Credential
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return Credential{}, 0, fmt.Errorf("credentials: decode: %w", err)
	}
	return c, e.Revision(), nil
}

// update applies change to the user's credential (a zero one when there is none) with optimistic
// concurrency, retrying when another process wrote in between.
func (p *Passwords) update(ctx context.Context, userID string, change func(*Credential)) (Credential, error) {
	for attempt := 0; ; attempt++ {
		c, rev, err := p.get(ctx, userID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Credential{}, err
		}
		change(&c)
		c.UpdatedAt = p.now().UTC()
		b, _ := json.Marshal(c)
		if rev == 0 {
			_, err = p.kv.Create(ctx, userKey(userID), b)
		} else {
			_, err = p.kv.Update(ctx, userKey(userID), b, rev)
		}
		if err == nil {
			return c, nil
		}
		if attempt >= 10 || !(errors.Is(err, jetstream.ErrKeyExists) || isWrongRevision(err)) {
			return Credential{}, fmt.Errorf("credentials: update: %w", err)
		}
	}
}

// SetPassword stores a new password hash and revokes every session of the user.
func (p *Passwords) SetPassword(ctx context.Context, userID, phc string) (Credential, error) {
	return p.update(ctx, userID, func(c *Credential) {
		c.Hash = phc
		c.Epoch++
	})
}

// RevokeSessions ends every session of the user at once.
func (p *Passwords) RevokeSessions(ctx context.Context, userID string) (Credential, error) {
	return p.update(ctx, userID, func(c *Credential) { c.Epoch++ })
}

// Delete forgets the user's credential (the user was deleted); its sessions die with it.
func (p *Passwords) Delete(ctx context.Context, userID string) error {
	if err := p.kv.Purge(ctx, userKey(userID)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("credentials: delete: %w", err)
	}
	return nil
}

func userKey(userID string) string { return "user." + userID }

// isWrongRevision reports a KV update whose expected revision was stale (JetStream 10071).
func isWrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == 10071
}

// ForCommands adapts Passwords to the command layer's credential port, whose methods return only
// an error. Changed, when set, is told about every change at once, so this process's session
// cache forgets the user before the command answers (other processes learn it by WatchUsers).
type ForCommands struct {
	P       *Passwords
	Changed func(userID string)
}

func (f ForCommands) changed(userID string, err error) error {
	if f.Changed != nil {
		f.Changed(userID) // also after a failure: the change may have been stored
	}
	return err
}

// SetPassword stores a new hash and revokes the user's sessions.
func (f ForCommands) SetPassword(ctx context.Context, userID, phc string) error {
	_, err := f.P.SetPassword(ctx, userID, phc)
	return f.changed(userID, err)
}

// RevokeSessions ends every session of the user.
func (f ForCommands) RevokeSessions(ctx context.Context, userID string) error {
	_, err := f.P.RevokeSessions(ctx, userID)
	return f.changed(userID, err)
}

// DeleteCredential forgets the user's credential.
func (f ForCommands) DeleteCredential(ctx context.Context, userID string) error {
	return f.changed(userID, f.P.Delete(ctx, userID))
}
