package udeskdialect_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/hostapi/hostapitest"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/event"
	"github.com/switchboard-cc/switchboard/plugins/udesk/udeskdialect"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// env is the service's real host API (internal/hostapi/hostapitest: the
// real ACD and dialer engines over SQLite, the dialer on the fake PBX whose
// calls ring for an hour, the real webhook sender storing and checking
// subscriptions without delivering them), rendering with this dialect.
type env struct {
	db   *store.DB
	host dialect.Host
	// now is the host's clock (tokens, plugin state expiry): the real one
	// until a local dialect runs, then that dialect's (see newLocalWith).
	now atomic.Pointer[func() time.Time]
}

func newEnv(t *testing.T) *env {
	t.Helper()
	renderer, err := udeskdialect.New(udeskdialect.Config{})
	if err != nil {
		t.Fatal(err)
	}
	out := &env{}
	realNow := time.Now
	out.now.Store(&realNow)
	e := hostapitest.New(t, hostapitest.Config{Dialects: inProcess{renderer}, Now: func() time.Time { return (*out.now.Load())() }})
	out.db, out.host = e.DB, e.Service.For("udesk")
	return out
}

// inProcess renders the udesk plugin's subscriptions with the dialect in
// this process, as the service's plugin host does with the plugin's.
type inProcess struct{ d *udeskdialect.Dialect }

func (p inProcess) Render(ctx context.Context, _ string, ev event.Event, sub dialect.Subscription) ([]dialect.Webhook, error) {
	return p.d.RenderEvent(ctx, ev, sub)
}

func (inProcess) Has(name string) bool { return name == udeskdialect.Name }

// tenant is a provisioned udesk account with a customer service group (a
// queue) and a relay line (a trunk) whose number is the seed's.
type tenant struct {
	id, email, apiToken string
	queue               string
}

func (e *env) tenant(t *testing.T, relay string, maxConcurrent int) tenant {
	t.Helper()
	ctx := context.Background()
	a, creds, err := accounts.Create(ctx, e.db, accounts.Request{Dialect: "udesk"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.host.PutQueue(ctx, a.ID, acd.NewQueueConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	if relay != "" {
		spec, _ := json.Marshal(dialer.Trunk{Name: "relay " + relay, MaxConcurrent: maxConcurrent, CallerIDNumber: relay})
		if _, err := e.host.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindTrunk, Spec: spec}); err != nil {
			t.Fatal(err)
		}
	}
	return tenant{id: a.ID, email: creds["email"], apiToken: creds["api_token"], queue: q.ID}
}

var nonceSeq atomic.Int64

// signed returns the query of a v2-signed request made at now.
func signed(email, token string, now time.Time, extra url.Values) url.Values {
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := fmt.Sprintf("nonce-%d-%d", time.Now().UnixNano(), nonceSeq.Add(1))
	sum := sha256.Sum256([]byte(email + "&" + token + "&" + ts + "&" + nonce + "&v2"))
	q := url.Values{"email": {email}, "timestamp": {ts}, "nonce": {nonce}, "sign": {hex.EncodeToString(sum[:])}, "sign_version": {"v2"}}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}
