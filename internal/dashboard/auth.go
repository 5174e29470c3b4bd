package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sessionCookie carries the admin session: its expiry and an HMAC of it
// under a key made at start, so sessions need no stored state and end when
// the process restarts.
const (
	sessionCookie = "switchboard_admin"
	sessionTTL    = 12 * time.Hour
)

type auth struct {
	passwordHash [32]byte
	key          []byte
	now          func() time.Time
}

func newAuth(password string, now func() time.Time) (*auth, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("dashboard: session key: %w", err)
	}
	return &auth{passwordHash: sha256.Sum256([]byte(password)), key: key, now: now}, nil
}

func (a *auth) checkPassword(p string) bool {
	h := sha256.Sum256([]byte(p))
	return subtle.ConstantTimeCompare(h[:], a.passwordHash[:]) == 1
}

func (a *auth) sign(exp string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte("admin|" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (a *auth) issue(w http.ResponseWriter, r *http.Request) {
	exp := strconv.FormatInt(a.now().Add(sessionTTL).Unix(), 10)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: exp + "." + a.sign(exp), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(sessionTTL.Seconds())})
}

func (a *auth) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// valid says whether r carries a live session.
func (a *auth) valid(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	exp, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(a.sign(exp))) {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && a.now().Before(time.Unix(unix, 0))
}

// sameOrigin refuses a state-changing request another site's page sent:
// a browser always names the page's origin on a cross-site POST.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return r.Header.Get("Sec-Fetch-Site") == "" || r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	host, ok := strings.CutPrefix(origin, "http://")
	if !ok {
		host, ok = strings.CutPrefix(origin, "https://")
	}
	return ok && host == r.Host
}
