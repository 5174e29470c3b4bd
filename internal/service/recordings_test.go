package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/ari"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// pbxFiles is the PBX edge: stored recordings by name, or an error.
type pbxFiles struct {
	files map[string]string
	err   error
}

func (p pbxFiles) RecordingFile(_ context.Context, name string) (io.ReadCloser, string, error) {
	if p.err != nil {
		return nil, "", p.err
	}
	f, ok := p.files[name]
	if !ok {
		return nil, "", ari.ErrUnknownRecording
	}
	return io.NopCloser(strings.NewReader(f)), "audio/wav", nil
}

// The recordings endpoint over a real store: who may fetch what, and how
// each failure answers.
func TestRecordingsAPI(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, a := range []store.Account{
		{ID: "acme", Dialect: "twin24", Email: "ops@acme.test", CredentialID: "ops@acme.test", SecretHash: store.HashSecret("pw-acme")},
		{ID: "beta", Dialect: "zxycall", CredentialID: "key-beta", SecretHash: store.HashSecret("pw-beta")},
	} {
		if err := db.CreateAccount(ctx, &a, now); err != nil {
			t.Fatal(err)
		}
	}
	// acme's attempt rec-1 is stored by Asterisk; beta's rec-2 not (yet).
	for _, x := range []struct{ tenant, call string }{{"acme", "rec-1"}, {"beta", "rec-2"}} {
		c := store.Campaign{Tenant: x.tenant, Name: "c", Config: dialer.Campaign{Name: "c", Mode: dialer.ModeIVR, DefaultRegion: "RU",
			Destination: dialer.Destination{Kind: dialer.DestDialplan, Dialplan: telephony.DialplanTarget{Context: "robot", Extension: "s", Priority: 1}}}}
		if err := db.CreateCampaign(ctx, &c, now); err != nil {
			t.Fatal(err)
		}
		camp := store.ACDID(c.ID)
		if err := db.RecordDialerEvents(ctx, now, []event.Event{
			{Type: event.AttemptStarted, At: now, Tenant: x.tenant, Campaign: camp, Contact: "k", Attempt: x.call, Call: x.call, Attrs: map[string]string{"number": "+7921", "try": "1"}},
			{Type: event.AttemptFinished, At: now, Tenant: x.tenant, Campaign: camp, Contact: "k", Attempt: x.call, Call: x.call, Outcome: "answered",
				Attrs: map[string]string{dialer.AttrRecording: x.call}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	quiet := slog.New(slog.DiscardHandler)
	api := recordingsAPI{db: db, files: pbxFiles{files: map[string]string{"rec-1": "RIFF-acme", "rec-2": "RIFF-beta"}}, log: quiet}
	fetch := func(h http.Handler, method, name, user, pass string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, RecordingsPrefix+name, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for _, c := range []struct {
		name, method, rec, user, pass string
		want                          int
		body                          string
	}{
		{"own recording", "GET", "rec-1", "ops@acme.test", "pw-acme", 200, "RIFF-acme"},
		{"email in another case", "GET", "rec-1", "OPS@Acme.test", "pw-acme", 200, "RIFF-acme"},
		{"HEAD", "HEAD", "rec-1", "ops@acme.test", "pw-acme", 200, ""},
		{"key and secret", "GET", "rec-2", "key-beta", "pw-beta", 200, "RIFF-beta"},
		{"another tenant's", "GET", "rec-2", "ops@acme.test", "pw-acme", 404, `"error"`},
		{"another tenant's, the other way", "GET", "rec-1", "key-beta", "pw-beta", 404, `"error"`},
		{"no credentials", "GET", "rec-1", "", "", 401, `"code":401`},
		{"wrong secret", "GET", "rec-1", "ops@acme.test", "pw-beta", 401, `"code":401`},
		{"unknown name", "GET", "rec-9", "ops@acme.test", "pw-acme", 404, `"error"`},
		{"a path", "GET", "rec-1/../rec-2", "ops@acme.test", "pw-acme", 404, `"error"`},
		{"POST", "POST", "rec-1", "ops@acme.test", "pw-acme", 405, `"code":405`},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := fetch(api, c.method, c.rec, c.user, c.pass)
			if w.Code != c.want || !strings.Contains(w.Body.String(), c.body) {
				t.Fatalf("%s %s as %q: %d %s, want %d with %q", c.method, c.rec, c.user, w.Code, w.Body, c.want, c.body)
			}
			if c.want == 200 && w.Header().Get("Content-Type") != "audio/wav" {
				t.Errorf("content type %q", w.Header().Get("Content-Type"))
			}
			if c.want == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("no Basic challenge: %v", w.Header())
			}
		})
	}

	notStored := recordingsAPI{db: db, files: pbxFiles{}, log: quiet}
	if w := fetch(notStored, "GET", "rec-1", "ops@acme.test", "pw-acme"); w.Code != 404 || !strings.Contains(w.Body.String(), "not stored") {
		t.Errorf("a recording Asterisk has not stored: %d %s", w.Code, w.Body)
	}
	down := recordingsAPI{db: db, files: pbxFiles{err: errors.New("connection refused")}, log: quiet}
	if w := fetch(down, "GET", "rec-1", "ops@acme.test", "pw-acme"); w.Code != 502 || !strings.Contains(w.Body.String(), `"code":502`) {
		t.Errorf("Asterisk down: %d %s", w.Code, w.Body)
	}
}

// recordingLinks adds the link to events that name a recording, and only
// to them, without touching the caller's attribute maps.
func TestRecordingLinks(t *testing.T) {
	var got []event.Event
	l := recordingLinks{next: event.PublisherFunc(func(evs ...event.Event) { got = append(got, evs...) }),
		base: func() string { return "https://cc.example.com" }}
	attrs := map[string]string{dialer.AttrRecording: "o1 x/1", "number": "+7921"}
	l.Publish(
		event.Event{Type: event.AttemptFinished, Attrs: attrs},
		event.Event{Type: event.AttemptFinished, Attrs: map[string]string{"number": "+7922"}},
		event.Event{Type: event.AttemptStarted},
	)
	if len(got) != 3 {
		t.Fatalf("published %d events", len(got))
	}
	if u := got[0].Attrs[dialer.AttrRecordingURL]; u != "https://cc.example.com/api/recordings/o1%20x%2F1" || got[0].Attrs["number"] != "+7921" {
		t.Errorf("recorded attempt attrs %v", got[0].Attrs)
	}
	if _, ok := attrs[dialer.AttrRecordingURL]; ok {
		t.Error("the caller's attrs were changed")
	}
	if _, ok := got[1].Attrs[dialer.AttrRecordingURL]; ok || got[2].Attrs != nil {
		t.Errorf("unrecorded events changed: %v %v", got[1].Attrs, got[2].Attrs)
	}
}
