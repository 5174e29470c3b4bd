package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every Standard Webhooks signing secret.
const SecretPrefix = "whsec_"

// ErrBadSecret marks a malformed signing secret.
var ErrBadSecret = errors.New("webhook: secret must be whsec_ followed by base64 of 24-64 bytes")

// NewSecret returns a fresh signing secret (32 random bytes).
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// ParseSecret decodes a "whsec_<base64>" secret to its key bytes.
func ParseSecret(secret string) ([]byte, error) {
	s, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, ErrBadSecret
	}
	return key, nil
}

// Signature returns the Standard Webhooks webhook-signature header value:
// "v1," + base64(HMAC-SHA256(key, id + "." + unix timestamp + "." + body)).
func Signature(key []byte, id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook-signature header (which may hold several
// space-separated signatures) the way a receiver would.
func Verify(secret, id string, ts time.Time, body []byte, header string) error {
	key, err := ParseSecret(secret)
	if err != nil {
		return err
	}
	want := Signature(key, id, ts, body)
	for _, sig := range strings.Fields(header) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("webhook: no matching signature in %q", header)
}
