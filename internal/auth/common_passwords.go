package auth

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswordsText is the list of the 10 000 most common passwords, one a line, lower-cased,
// most common first. common_passwords.md says where it comes from and under which licence.
//
//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords is the embedded list as a set, built on first use so that programs that never
// check a password do not pay for it.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	lines := strings.Split(strings.TrimSuffix(commonPasswordsText, "\n"), "\n")
	set := make(map[string]struct{}, len(lines))
	for _, line := range lines {
		if line != "" {
			set[line] = struct{}{}
		}
	}
	return set
})

// IsCommonPassword reports whether password, lower-cased, is among the 10 000 most common
// passwords. The comparison is case-insensitive because attackers try case variants first.
func IsCommonPassword(password string) bool {
	_, ok := commonPasswords()[strings.ToLower(password)]
	return ok
}
