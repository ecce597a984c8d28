// Package session logs users in and out and resolves a session token to the acting user: the
// glue between the credential stores, the user aggregate and the password and token rules.
package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/credentials"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
)

// Errors of the service. A wrong password and an unknown email are the same error, with the same
// cost, so a caller cannot tell which accounts exist.
var (
	ErrInvalidCredentials = errors.New("session: invalid email or password")
	ErrUnauthenticated    = errors.New("session: not logged in")
)

// ThrottledError says the account must wait before its next login attempt.
type ThrottledError struct{ RetryAfter time.Duration }

// Error implements error.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("session: too many failed logins; retry after %s", e.RetryAfter.Round(time.Second))
}

// Principal is the authenticated user of a request.
type Principal struct {
	User        domain.User
	Permissions auth.PermissionSet
	// TokenHash identifies the session (for logout).
	TokenHash string
	ExpiresAt time.Time
}

// Meta returns the command metadata of the principal acting in request requestID.
func (p Principal) Meta(requestID string) command.Meta {
	return command.Meta{
		Actor:       events.Actor{Type: events.ActorUser, ID: p.User.ID, CustomerID: p.User.CustomerID, Role: p.User.Role},
		RequestID:   requestID,
		Permissions: p.Permissions,
	}
}

// Service logs in, authenticates and logs out.
type Service struct {
	users     *command.Users
	passwords *credentials.Passwords
	sessions  *credentials.Sessions
	throttle  *credentials.Throttle
	// verifying bounds concurrent password checks: each costs about 20 MB and 30 ms.
	verifying chan struct{}

	mu    sync.Mutex
	cache *principalCache // nil until StartCache
}

// New returns the service. maxVerify bounds concurrent password checks (0: 4).
func New(users *command.Users, passwords *credentials.Passwords, sessions *credentials.Sessions, throttle *credentials.Throttle, maxVerify int) *Service {
	if maxVerify <= 0 {
		maxVerify = 4
	}
	return &Service{users: users, passwords: passwords, sessions: sessions, throttle: throttle, verifying: make(chan struct{}, maxVerify)}
}

// Login checks email and password and opens a session. It returns the token (shown to the client
// once; only its hash is stored), ErrInvalidCredentials, or a *ThrottledError.
func (s *Service) Login(ctx context.Context, email, password string) (string, Principal, error) {
	wait, err := s.throttle.Wait(ctx, email)
	if err != nil {
		return "", Principal{}, err
	}
	if wait > 0 {
		return "", Principal{}, &ThrottledError{RetryAfter: wait}
	}
	u, epoch, err := s.check(ctx, email, password)
	if errors.Is(err, ErrInvalidCredentials) {
		if d, ferr := s.throttle.Fail(ctx, email); ferr != nil {
			return "", Principal{}, ferr
		} else if d > 0 {
			return "", Principal{}, &ThrottledError{RetryAfter: d}
		}
		return "", Principal{}, err
	}
	if err != nil {
		return "", Principal{}, err
	}
	if err := s.throttle.Reset(ctx, email); err != nil {
		return "", Principal{}, err
	}
	token, hash, err := auth.NewToken()
	if err != nil {
		return "", Principal{}, err
	}
	sess, err := s.sessions.Create(ctx, hash, u.ID, epoch)
	if err != nil {
		return "", Principal{}, err
	}
	return token, principal(u, hash, sess), nil
}

// check verifies the credentials and returns the live, enabled user and its session epoch.
func (s *Service) check(ctx context.Context, email, password string) (domain.User, uint64, error) {
	select {
	case s.verifying <- struct{}{}:
		defer func() { <-s.verifying }()
	case <-ctx.Done():
		return domain.User{}, 0, ctx.Err()
	}
	id, err := s.users.UserIDByEmail(ctx, email)
	if err != nil {
		return domain.User{}, 0, err
	}
	var cred credentials.Credential
	if id != "" {
		if cred, err = s.passwords.Get(ctx, id); err != nil && !errors.Is(err, credentials.ErrNotFound) {
			return domain.User{}, 0, err
		}
	}
	if id == "" || cred.Hash == "" {
		auth.DummyVerify(password) // the same cost as a real check
		return domain.User{}, 0, ErrInvalidCredentials
	}
	ok, _, err := auth.Verify(cred.Hash, password)
	if err != nil || !ok {
		return domain.User{}, 0, ErrInvalidCredentials
	}
	u, err := s.users.GetUser(ctx, command.SystemMeta("login"), id)
	if domain.ErrorCode(err) == domain.NotFound || (err == nil && u.Disabled) {
		return domain.User{}, 0, ErrInvalidCredentials
	}
	if err != nil {
		return domain.User{}, 0, err
	}
	return u, cred.Epoch, nil
}

// Authenticate resolves a session token to its user. Sessions of a disabled or deleted user, or
// issued before the user's sessions were revoked, answer ErrUnauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if !auth.ValidTokenFormat(token) {
		return Principal{}, ErrUnauthenticated
	}
	hash := auth.HashToken(token)
	c := s.cacheOrNil()
	if c != nil {
		if p, ok := c.get(hash); ok {
			return p, nil
		}
	}
	sess, err := s.sessions.Get(ctx, hash)
	if errors.Is(err, credentials.ErrNotFound) || errors.Is(err, credentials.ErrExpired) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	var gen uint64
	if c != nil {
		gen = c.generation(sess.UserID) // before reading what a change would alter
	}
	cred, err := s.passwords.Get(ctx, sess.UserID)
	if errors.Is(err, credentials.ErrNotFound) || (err == nil && cred.Epoch != sess.Epoch) {
		_ = s.sessions.Delete(ctx, hash)
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	u, err := s.users.GetUser(ctx, command.SystemMeta("authenticate"), sess.UserID)
	if domain.ErrorCode(err) == domain.NotFound || (err == nil && u.Disabled) {
		_ = s.sessions.Delete(ctx, hash)
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	p := principal(u, hash, sess)
	if c != nil {
		c.put(p, gen)
	}
	return p, nil
}

// Logout ends the session of the principal.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if c := s.cacheOrNil(); c != nil {
		c.drop(p.TokenHash)
	}
	return s.sessions.Delete(ctx, p.TokenHash)
}

// CheckPassword verifies a user's current password (for a password change).
func (s *Service) CheckPassword(ctx context.Context, userID, password string) (bool, error) {
	cred, err := s.passwords.Get(ctx, userID)
	if errors.Is(err, credentials.ErrNotFound) {
		auth.DummyVerify(password)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ok, _, err := auth.Verify(cred.Hash, password)
	return ok && err == nil, nil
}

func principal(u domain.User, hash string, sess credentials.Session) Principal {
	return Principal{User: u, Permissions: command.EffectivePermissions(u), TokenHash: hash, ExpiresAt: sess.ExpiresAt}
}
