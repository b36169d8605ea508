package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's second recommendation (m=19 MiB, t=2, p=1),
// which costs tens of milliseconds on a small server and is the memory-hard
// setting that still lets two cores sign in a county's staff without queues.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// hashSlots bounds how many hashes run at once. Each takes 19 MiB for its
// duration; without a bound a flood of sign-ins would allocate 19 MiB per
// request and could take the server down. Waiters give up with their context.
var hashSlots = make(chan struct{}, max(1, runtime.NumCPU()))

// ErrMalformedHash is returned when a stored hash is not an argon2id PHC
// string this package understands.
var ErrMalformedHash = errors.New("malformed password hash")

var b64 = base64.RawStdEncoding

type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
}

var currentParams = argonParams{argonMemory, argonTime, argonThreads}

func acquire(ctx context.Context) (release func(), err error) {
	select {
	case hashSlots <- struct{}{}:
		return func() { <-hashSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// HashPassword returns the PHC string
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key> for password.
func HashPassword(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	release, err := acquire(ctx)
	if err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	release()
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC string phc. The
// parameters are read from phc, so hashes made with older settings still
// verify. The comparison takes constant time.
func VerifyPassword(ctx context.Context, phc, password string) (bool, error) {
	p, salt, key, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	release, err := acquire(ctx)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(key)))
	release()
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// needsRehash reports whether phc was made with other parameters than the
// current ones, so a successful sign-in can upgrade it.
func needsRehash(phc string) bool {
	p, salt, key, err := parsePHC(phc)
	return err != nil || p != currentParams || len(salt) != argonSaltLen || len(key) != argonKeyLen
}

func parsePHC(phc string) (p argonParams, salt, key []byte, err error) {
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return p, nil, nil, ErrMalformedHash
	}
	// Refuse parameters that would let a tampered row make one verification
	// allocate gigabytes or spin for minutes.
	if p.memory < 8 || p.memory > 1<<20 || p.time < 1 || p.time > 16 || p.threads < 1 {
		return p, nil, nil, ErrMalformedHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, ErrMalformedHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// dummyPHC is a hash of a random password, verified against when the
// username is unknown so that the answer takes as long as for a real user.
func dummyPHC() string {
	dummyOnce.Do(func() {
		var b [16]byte
		_, _ = rand.Read(b[:])
		salt := make([]byte, argonSaltLen)
		_, _ = rand.Read(salt)
		key := argon2.IDKey(b[:], salt, argonTime, argonMemory, argonThreads, argonKeyLen)
		dummyHash = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
			argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
	})
	return dummyHash
}
