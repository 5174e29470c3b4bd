package pluginhosttest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/internal/pluginhost/pluginhosttest"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

func newHost(t *testing.T) *pluginhosttest.Host {
	h := pluginhosttest.New(pluginhosttest.Config{Credentials: []pluginhosttest.Credential{
		{Token: "a", Account: dialect.Account{ID: "acc-a", DefaultRegion: "RU"}},
		{Token: "b", Account: dialect.Account{ID: "acc-b", DefaultRegion: "CN"}},
	}})
	t.Cleanup(h.Close)
	return h
}

func TestAccountsAreKeptApart(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	if _, err := h.PutQueue(ctx, "acc-a", acd.NewQueueConfig("q")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.PutAgent(ctx, "acc-a", acd.AgentConfig{ID: "ag", Type: acd.LocalAgent, Extension: "PJSIP/1", CallTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := h.PutTier(ctx, "acc-a", acd.Tier{Queue: "q", Agent: "ag", Level: 1}); err != nil {
		t.Fatal(err)
	}
	if err := h.SetAgentStatus(ctx, "acc-a", "ag", acd.Available, "api"); err != nil {
		t.Fatal(err)
	}
	st, err := h.QueueStatus(ctx, "acc-a", "q")
	if err != nil || st.LoggedIn != 1 || st.Free != 1 {
		t.Errorf("acc-a status %+v %v", st, err)
	}
	if _, err := h.QueueStatus(ctx, "acc-b", "q"); !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("acc-b sees acc-a's queue: %v", err)
	}
	if qs, err := h.ListQueues(ctx, "acc-b"); err != nil || len(qs) != 0 {
		t.Errorf("acc-b lists %v %v", qs, err)
	}
	if err := h.DeleteAgent(ctx, "acc-a", "ag", false); !errors.Is(err, dialect.ErrFailedPrecondition) {
		t.Errorf("deleting an agent with tiers: %v", err)
	}
	var fe *dialect.FieldError
	if _, err := h.PutQueue(ctx, "acc-a", acd.QueueConfig{ID: "x", Strategy: "nope"}); !errors.As(err, &fe) || fe.Field != "strategy" {
		t.Errorf("bad queue: %v", err)
	}
	if _, err := h.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredToken, Secret: "zzz"}); !errors.Is(err, dialect.ErrUnauthenticated) {
		t.Errorf("bad token: %v", err)
	}
	if a, err := h.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredToken, Secret: "b"}); err != nil || a.ID != "acc-b" {
		t.Errorf("token b: %+v %v", a, err)
	}
}

func TestAuthSchemes(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := pluginhosttest.New(pluginhosttest.Config{
		Now: func() time.Time { return now },
		Credentials: []pluginhosttest.Credential{
			{Account: dialect.Account{ID: "u1"}, Principal: "ops@example.com", Password: "pw1"},
			{Account: dialect.Account{ID: "u2"}, Principal: "other@example.com", Password: "pw2"},
		}})
	defer h.Close()
	ctx := context.Background()
	auth := func(c dialect.Credentials) string {
		a, err := h.Authenticate(ctx, c)
		if err != nil {
			if !errors.Is(err, dialect.ErrUnauthenticated) {
				t.Errorf("%+v: %v is not ErrUnauthenticated", c, err)
			}
			return ""
		}
		return a.ID
	}
	pw := dialect.Credentials{Scheme: dialect.CredPassword, Principal: "ops@example.com", Secret: "pw1"}
	if got := auth(pw); got != "u1" {
		t.Errorf("password: %q", got)
	}
	pw.Secret = "pw2" // another account's password
	if got := auth(pw); got != "" {
		t.Errorf("wrong password accepted for %q", got)
	}

	tok, err := h.IssueToken(ctx, "u1", dialect.TokenRequest{Kind: "access", TTL: time.Hour})
	if err != nil || tok.Value == "" || !tok.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("issue: %+v %v", tok, err)
	}
	if got := auth(dialect.Credentials{Scheme: dialect.CredToken, Secret: tok.Value, Kind: "access"}); got != "u1" {
		t.Errorf("issued token: %q", got)
	}
	if got := auth(dialect.Credentials{Scheme: dialect.CredToken, Secret: tok.Value, Kind: "refresh"}); got != "" {
		t.Errorf("a token of another kind accepted")
	}

	// udesk's v2 sign: sha256 of email&token&timestamp&nonce&v2, with the token
	// issued at log-in; the dialect sends the formula, the host the secret.
	api, _ := h.IssueToken(ctx, "u1", dialect.TokenRequest{Kind: "open_api_token"})
	sum := sha256.Sum256([]byte("ops@example.com&" + api.Value + "&1700000000&n1&v2"))
	sig := dialect.Credentials{Scheme: dialect.CredSignature, Principal: "ops@example.com", Kind: "open_api_token",
		Secret: strings.ToUpper(hex.EncodeToString(sum[:])),
		Params: map[string]string{"algorithm": "sha256", "message": "ops@example.com&{secret}&1700000000&n1&v2"}}
	if got := auth(sig); got != "u1" {
		t.Errorf("signature: %q", got)
	}
	sig.Params = map[string]string{"algorithm": "sha256", "message": "ops@example.com&{secret}&1700000001&n1&v2"}
	if got := auth(sig); got != "" {
		t.Errorf("a signature over another message accepted")
	}
	sig.Principal = "other@example.com"
	if got := auth(sig); got != "" {
		t.Errorf("a signature checked against another account's token")
	}
	mac := hmac.New(sha256.New, []byte("pw1"))
	mac.Write([]byte("GET /x"))
	if got := auth(dialect.Credentials{Scheme: dialect.CredSignature, Principal: "ops@example.com", Secret: hex.EncodeToString(mac.Sum(nil)),
		Params: map[string]string{"algorithm": "hmac-sha256", "message": "GET /x"}}); got != "u1" {
		t.Errorf("hmac over the provisioned password: %q", got)
	}
	var fe *dialect.FieldError
	if _, err := h.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredSignature, Principal: "ops@example.com", Secret: "x",
		Params: map[string]string{"algorithm": "md5"}}); !errors.As(err, &fe) || fe.Field != "params.algorithm" {
		t.Errorf("unknown algorithm: %v", err)
	}
	if _, err := h.Authenticate(ctx, dialect.Credentials{Scheme: "magic", Secret: "x"}); !errors.As(err, &fe) || fe.Field != "scheme" {
		t.Errorf("unknown scheme: %v", err)
	}

	now = now.Add(2 * time.Hour)
	if got := auth(dialect.Credentials{Scheme: dialect.CredToken, Secret: tok.Value, Kind: "access"}); got != "" {
		t.Errorf("an expired token accepted")
	}
	if _, err := h.IssueToken(ctx, "u1", dialect.TokenRequest{}); !errors.As(err, &fe) || fe.Field != "kind" {
		t.Errorf("no kind: %v", err)
	}
}

func TestObjectsContactsSubscriptionsCalls(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	var ids []string
	for range 3 {
		o, err := h.PutObject(ctx, "acc-a", dialect.Object{Kind: dialect.KindCampaign, Spec: json.RawMessage(`{"mode":"ivr"}`)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	c1 := ids[0]
	p, err := h.ListObjects(ctx, "acc-a", dialect.KindCampaign, dialect.Page{Size: 2})
	if err != nil || len(p.Objects) != 2 || p.NextToken == "" {
		t.Fatalf("page 1: %+v %v", p, err)
	}
	p, err = h.ListObjects(ctx, "acc-a", dialect.KindCampaign, dialect.Page{Size: 2, Token: p.NextToken})
	if err != nil || len(p.Objects) != 1 || p.Objects[0].ID != ids[2] || p.NextToken != "" {
		t.Fatalf("page 2: %+v %v", p, err)
	}
	o, err := h.CampaignAction(ctx, "acc-a", c1, dialect.CampaignStart)
	if err != nil || string(o.Status) != `{"state":"running"}` {
		t.Errorf("start: %+v %v", o, err)
	}
	if p, err := h.ListObjects(ctx, "acc-a", dialect.KindCampaign, dialect.Page{Filter: map[string]string{"state": "running"}}); err != nil || len(p.Objects) != 1 || p.Objects[0].ID != c1 {
		t.Errorf("running campaigns: %+v %v", p, err)
	}
	if _, err := h.GetObject(ctx, "acc-b", dialect.KindCampaign, c1); !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("acc-b sees acc-a's campaign: %v", err)
	}
	var fe *dialect.FieldError
	if _, err := h.PutObject(ctx, "acc-a", dialect.Object{Kind: "widget", ID: "w"}); !errors.As(err, &fe) || fe.Field != "kind" {
		t.Errorf("unknown kind: %v", err)
	}

	in := []dialect.Contact{
		{ID: "k1", Numbers: []string{"89215650644"}},
		{ID: "k2", Numbers: []string{"12"}},
		{ID: "k1", Numbers: []string{"89215650645"}},
		{ID: "k3", Numbers: []string{"+7 921 565-06-46", "89215650647"}},
	}
	res, err := h.ImportContacts(ctx, "acc-a", c1, func(yield func(dialect.Contact, error) bool) {
		for _, c := range in {
			if !yield(c, nil) {
				return
			}
		}
	})
	if err != nil || res.Accepted != 2 || len(res.Rejected) != 2 ||
		res.Rejected[0] != (dialect.Rejection{Index: 1, ID: "k2", Raw: "12", Field: "numbers", Reason: "invalid_number"}) ||
		res.Rejected[1].Index != 2 || res.Rejected[1].Field != "id" {
		t.Fatalf("import: %+v %v", res, err)
	}
	cp, err := h.ListContacts(ctx, "acc-a", c1, dialect.Page{})
	if err != nil || len(cp.Contacts) != 2 || cp.Contacts[1].ID != "k3" || cp.Contacts[1].Status != "scheduled" {
		t.Errorf("contacts: %+v %v", cp, err)
	}
	if _, err := h.ImportContacts(ctx, "acc-a", "nope", func(func(dialect.Contact, error) bool) {}); !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("import into an unknown campaign: %v", err)
	}

	s, err := h.PutSubscription(ctx, "acc-a", dialect.Subscription{URL: "https://x.example/h", Campaign: "c1"})
	if err != nil || s.ID == "" || s.Account != "acc-a" {
		t.Fatalf("subscription: %+v %v", s, err)
	}
	if _, err := h.PutSubscription(ctx, "acc-a", dialect.Subscription{URL: "https://x.example/t", Contact: "k1"}); !errors.As(err, &fe) || fe.Field != "contact" {
		t.Errorf("a contact scope without a campaign: %v", err)
	}
	if _, err := h.PutSubscription(ctx, "acc-a", dialect.Subscription{URL: "ftp://x"}); !errors.As(err, &fe) || fe.Field != "url" {
		t.Errorf("bad url: %v", err)
	}
	if subs, _ := h.ListSubscriptions(ctx, "acc-a", dialect.Page{Filter: map[string]string{"campaign": "c2"}}); len(subs.Subscriptions) != 0 {
		t.Errorf("filter: %+v", subs)
	}
	if err := h.DeleteSubscription(ctx, "acc-a", s.ID); err != nil {
		t.Error(err)
	}
	if err := h.DeleteSubscription(ctx, "acc-a", s.ID); !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, c := range []string{"c1", "c2", "c1"} {
		h.AddCall("acc-a", dialect.CallRecord{ID: string(rune('x' + i)), Campaign: c, Started: t0.Add(time.Duration(2-i) * time.Minute)})
	}
	calls, err := h.CallHistory(ctx, "acc-a", dialect.CallQuery{Campaign: "c1"})
	if err != nil || len(calls.Calls) != 2 || calls.Calls[0].ID != "z" || calls.Calls[1].ID != "x" {
		t.Errorf("history: %+v %v", calls, err)
	}
	if _, err := h.CallHistory(ctx, "acc-a", dialect.CallQuery{From: t0, To: t0.Add(-time.Second)}); !errors.As(err, &fe) || fe.Field != "to" {
		t.Errorf("to before from: %v", err)
	}
}

func TestBeforeCallHook(t *testing.T) {
	boom := errors.New("held")
	var seen []string
	h := pluginhosttest.New(pluginhosttest.Config{BeforeCall: func(_ context.Context, m string) error {
		seen = append(seen, m)
		return boom
	}})
	defer h.Close()
	if _, err := h.QueueStatus(context.Background(), "a", "q"); !errors.Is(err, boom) || len(seen) != 1 || seen[0] != "QueueStatus" {
		t.Errorf("err %v, seen %v", err, seen)
	}
}

func TestPutAssignsIDs(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	q, err := h.PutQueue(ctx, "acc-a", acd.NewQueueConfig(""))
	if err != nil || q.ID == "" {
		t.Fatalf("queue %+v %v", q, err)
	}
	a, err := h.PutAgent(ctx, "acc-a", acd.AgentConfig{Type: acd.LocalAgent, Extension: "PJSIP/1", CallTimeout: time.Second})
	if err != nil || a.ID == "" || a.ID == q.ID || a.Extension != "PJSIP/1" {
		t.Fatalf("agent %+v %v", a, err)
	}
	if got, err := h.GetQueue(ctx, "acc-a", q.ID); err != nil || got.ID != q.ID {
		t.Errorf("stored queue %+v %v", got, err)
	}
	q.MaxWaitTime = time.Minute
	if again, err := h.PutQueue(ctx, "acc-a", q); err != nil || again.ID != q.ID || again.MaxWaitTime != time.Minute {
		t.Errorf("replace %+v %v", again, err)
	}
}
