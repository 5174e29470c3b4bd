package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboard-cc/switchboard/adapters/ari"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// Call recordings: a recorded attempt's attempt.finished carries the
// recording's name (attr "recording", set by pkg/dialer) and the service
// adds the link a webhook receiver fetches it from (attr "recording_url",
// RecordingsPrefix + name under --public-url). GET on the link streams the
// file Asterisk stored, to an account of the tenant whose campaign made it,
// authenticated with HTTP Basic: the account's provisioned credential
// (twin24/udesk email and password, ringme client_id and client_secret,
// zxycall key and secret). Any other tenant, or a name no attempt made, is
// 404, so names cannot be probed.

// RecordingsPrefix is where recordings are served.
const RecordingsPrefix = "/api/recordings/"

// recordingLinks adds recording_url to the attempt events that name a
// recording, then hands them on.
type recordingLinks struct {
	next event.Publisher
	base func() string // the public base URL, without a trailing slash
}

func (l recordingLinks) Publish(events ...event.Event) {
	for i, e := range events {
		name := e.Attrs[dialer.AttrRecording]
		if name == "" || e.Attrs[dialer.AttrRecordingURL] != "" {
			continue
		}
		attrs := make(map[string]string, len(e.Attrs)+1)
		for k, v := range e.Attrs {
			attrs[k] = v
		}
		attrs[dialer.AttrRecordingURL] = l.base() + RecordingsPrefix + url.PathEscape(name)
		events[i].Attrs = attrs
	}
	l.next.Publish(events...)
}

// recordingFiles reads stored recordings from the PBX.
type recordingFiles interface {
	RecordingFile(ctx context.Context, name string) (io.ReadCloser, string, error)
}

// recordingStore finds accounts and a recording's tenant.
type recordingStore interface {
	AccountsByCredential(ctx context.Context, credentialID string) ([]store.Account, error)
	RecordingTenant(ctx context.Context, name string) (string, error)
}

// recordingsAPI serves GET RecordingsPrefix{name}.
type recordingsAPI struct {
	db    recordingStore
	files recordingFiles
	log   *slog.Logger
}

func (a recordingsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		recordingError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	name := strings.TrimPrefix(r.URL.Path, RecordingsPrefix)
	tenants, err := a.authenticate(r)
	if err != nil {
		a.log.Error("recordings: authenticate", "err", err)
		recordingError(w, http.StatusInternalServerError, "internal error")
		return
	}
	if len(tenants) == 0 {
		w.Header().Set("WWW-Authenticate", `Basic realm="switchboard recordings"`)
		recordingError(w, http.StatusUnauthorized, "credentials required (HTTP Basic: the account's credential)")
		return
	}
	if name == "" || strings.ContainsAny(name, "/\\") {
		recordingError(w, http.StatusNotFound, "no such recording")
		return
	}
	tenant, err := a.db.RecordingTenant(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) || err == nil && !tenants[tenant] {
		recordingError(w, http.StatusNotFound, "no such recording")
		return
	}
	if err != nil {
		a.log.Error("recordings: tenant", "recording", name, "err", err)
		recordingError(w, http.StatusInternalServerError, "internal error")
		return
	}
	body, ctype, err := a.files.RecordingFile(r.Context(), name)
	if errors.Is(err, ari.ErrUnknownRecording) {
		// Made by an attempt, not (or no longer) stored by Asterisk: still
		// recording, or removed.
		recordingError(w, http.StatusNotFound, "recording not stored (yet)")
		return
	}
	if err != nil {
		a.log.Warn("recordings: fetch from Asterisk", "recording", name, "err", err)
		recordingError(w, http.StatusBadGateway, "Asterisk did not return the recording")
		return
	}
	defer body.Close()
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.wav"`)
	w.Header().Set("Cache-Control", "private, no-store")
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, body); err != nil {
		a.log.Debug("recordings: stream", "recording", name, "err", err)
	}
}

// authenticate returns the tenants of the accounts whose credential the
// request's Basic auth carries (none: not authenticated).
func (a recordingsAPI) authenticate(r *http.Request) (map[string]bool, error) {
	user, pass, ok := r.BasicAuth()
	if !ok || user == "" || pass == "" {
		return nil, nil
	}
	accounts, err := a.db.AccountsByCredential(r.Context(), user)
	if err != nil {
		return nil, err
	}
	if lower := strings.ToLower(user); lower != user && strings.Contains(user, "@") {
		more, err := a.db.AccountsByCredential(r.Context(), lower)
		if err != nil {
			return nil, err
		}
		accounts = append(accounts, more...)
	}
	tenants := map[string]bool{}
	for _, acc := range accounts {
		if store.SecretMatches(acc.SecretHash, pass) {
			tenants[acc.ID] = true
		}
	}
	return tenants, nil
}

func recordingError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}
