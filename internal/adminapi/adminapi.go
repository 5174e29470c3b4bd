// Package adminapi is the operator's HTTP API under /api/admin/: today the
// webhook dead-letter list and its replay. Requests authenticate with the
// admin password as a bearer token (Authorization: Bearer <password>), so
// scripts can use it; the wallboard uses the same password.
package adminapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
)

// Prefix is where the API is mounted.
const Prefix = "/api/admin/"

// DeadLetters is what the API needs of the delivery store.
type DeadLetters interface {
	DeadLetters(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, error)
	ReplayDeadLetters(ctx context.Context, ids []string, now time.Time) (int, error)
}

// Config configures the API.
type Config struct {
	Store DeadLetters
	// Password is the admin password; required.
	Password string
	Now      func() time.Time
}

// API is the admin API's http.Handler.
type API struct {
	cfg  Config
	hash [32]byte
	mux  *http.ServeMux
}

// New returns the API.
func New(cfg Config) (*API, error) {
	if cfg.Store == nil {
		return nil, errors.New("adminapi: store is required")
	}
	if cfg.Password == "" {
		return nil, errors.New("adminapi: password is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &API{cfg: cfg, hash: sha256.Sum256([]byte(cfg.Password)), mux: http.NewServeMux()}
	a.mux.HandleFunc("GET "+Prefix+"deadletters", a.list)
	a.mux.HandleFunc("POST "+Prefix+"deadletters/replay", a.replay)
	return a, nil
}

// ServeHTTP authenticates and routes.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(token))
	if !ok || subtle.ConstantTimeCompare(sum[:], a.hash[:]) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard admin"`)
		writeError(w, http.StatusUnauthorized, "authorization", "a bearer token with the admin password is required")
		return
	}
	a.mux.ServeHTTP(w, r)
}

// DeadLetter is one dead delivery as the API shows it.
type DeadLetter struct {
	ID           string    `json:"id"`
	Seq          int64     `json:"seq"`
	Subscription string    `json:"subscription_id"`
	Tenant       string    `json:"tenant,omitempty"`
	EventID      string    `json:"event_id"`
	EventType    string    `json:"event_type"`
	Attempts     int       `json:"attempts"`
	LastStatus   int       `json:"last_status,omitempty"`
	LastError    string    `json:"last_error,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	FinishedAt   time.Time `json:"finished_at,omitzero"`
}

// FromDelivery renders a stored delivery.
func FromDelivery(d store.Delivery) DeadLetter {
	return DeadLetter{ID: d.ID, Seq: d.Seq, Subscription: d.SubscriptionID, Tenant: d.Tenant, EventID: d.EventID,
		EventType: d.EventType, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError,
		CreatedAt: d.CreatedAt, FinishedAt: d.FinishedAt}
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.DeliveryFilter{SubscriptionID: q.Get("subscription"), Tenant: q.Get("tenant")}
	for _, p := range []struct {
		name string
		into func(int64)
	}{
		{"after", func(v int64) { f.AfterSeq = v }},
		{"limit", func(v int64) { f.Limit = int(v) }},
	} {
		if s := q.Get(p.name); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 || (p.name == "limit" && v > 1000) {
				writeError(w, http.StatusBadRequest, p.name, "must be a whole number (limit at most 1000)")
				return
			}
			p.into(v)
		}
	}
	ds, err := a.cfg.Store.DeadLetters(r.Context(), f)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "", "could not read the dead letters")
		return
	}
	out := make([]DeadLetter, 0, len(ds))
	for _, d := range ds {
		out = append(out, FromDelivery(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": out})
}

// maxReplay bounds the ids of one replay request.
const maxReplay = 1000

func (a *API) replay(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IDs []string `json:"ids"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "body", fmt.Sprintf("must be {\"ids\": [...]}: %v", err))
		return
	}
	if len(body.IDs) == 0 || len(body.IDs) > maxReplay {
		writeError(w, http.StatusBadRequest, "ids", fmt.Sprintf("must name 1 to %d deliveries", maxReplay))
		return
	}
	n, err := a.cfg.Store.ReplayDeadLetters(r.Context(), body.IDs, a.cfg.Now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "", "could not replay")
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"replayed": n})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, field, msg string) {
	body := map[string]string{"error": msg}
	if field != "" {
		body["field"] = field
	}
	writeJSON(w, code, body)
}
