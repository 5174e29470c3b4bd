package hostapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/bus/webhook"
	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/hostapi"
	"github.com/switchboard-cc/switchboard/internal/hostapi/hostapitest"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is the host's token clock, moved by the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	db    *store.DB
	svc   *hostapi.Service
	clock *clock
	env   *hostapitest.Env
}

// newFixture runs the real ACD and dialer engines (the dialer on the fake
// PBX, whose calls ring forever) over a SQLite store, with the webhook
// sender's address policy modified by policy.
func newFixture(t *testing.T, policy webhook.Policy) *fixture {
	t.Helper()
	clk := &clock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	env := hostapitest.New(t, hostapitest.Config{Policy: policy, Dialects: servedDialects{}, Now: clk.Now})
	return &fixture{db: env.DB, svc: env.Service, clock: clk, env: env}
}

func (f *fixture) account(t *testing.T, dialectName string) (store.Account, accounts.Credentials) {
	t.Helper()
	a, creds, err := accounts.Create(context.Background(), f.db, accounts.Request{Dialect: dialectName}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return a, creds
}

// campaign creates an ivr campaign of account through h and imports
// contacts into it, all of which must be accepted.
func campaign(t *testing.T, h dialect.Host, account string, contacts ...dialect.Contact) dialect.Object {
	t.Helper()
	ctx := context.Background()
	cmp, err := h.PutObject(ctx, account, dialect.Object{Kind: dialect.KindCampaign, Spec: ivrCampaign("")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.ImportContacts(ctx, account, cmp.ID, func(yield func(dialect.Contact, error) bool) {
		for _, c := range contacts {
			if !yield(c, nil) {
				return
			}
		}
	})
	if err != nil || res.Accepted != len(contacts) {
		t.Fatalf("import %+v %v", res, err)
	}
	return cmp
}

func isNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("%s: got %v, want ErrNotFound", what, err)
	}
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	zx, zxCreds := f.account(t, "zxycall")
	rm, rmCreds := f.account(t, "ringme")
	tw, twCreds := f.account(t, "twin24")
	zxHost, rmHost, twHost := f.svc.For("zxycall"), f.svc.For("ringme"), f.svc.For("twin24")

	cases := []struct {
		name    string
		host    dialect.Host
		cred    dialect.Credentials
		account string // "": unauthenticated
	}{
		{"zxycall token", zxHost, dialect.Credentials{Scheme: dialect.CredToken, Secret: zxCreds["token"]}, zx.ID},
		{"zxycall token, wrong secret", zxHost, dialect.Credentials{Scheme: dialect.CredToken, Secret: zxCreds["token"] + "x"}, ""},
		{"zxycall token without a dot", zxHost, dialect.Credentials{Scheme: dialect.CredToken, Secret: "nodot"}, ""},
		{"ringme client credentials", rmHost, dialect.Credentials{Scheme: dialect.CredPassword, Principal: rmCreds["client_id"], Secret: rmCreds["client_secret"]}, rm.ID},
		{"ringme wrong secret", rmHost, dialect.Credentials{Scheme: dialect.CredPassword, Principal: rmCreds["client_id"], Secret: "nope"}, ""},
		{"twin24 email in upper case", twHost, dialect.Credentials{Scheme: dialect.CredPassword, Principal: strings.ToUpper(twCreds["email"]), Secret: twCreds["password"]}, tw.ID},
		{"ringme credentials at the zxycall host", zxHost, dialect.Credentials{Scheme: dialect.CredPassword, Principal: rmCreds["client_id"], Secret: rmCreds["client_secret"]}, ""},
		{"zxycall token at the ringme host", rmHost, dialect.Credentials{Scheme: dialect.CredToken, Secret: zxCreds["token"]}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.host.Authenticate(ctx, c.cred)
			if c.account == "" {
				if !errors.Is(err, dialect.ErrUnauthenticated) {
					t.Fatalf("got %+v %v, want ErrUnauthenticated", got, err)
				}
				return
			}
			if err != nil || got.ID != c.account {
				t.Fatalf("got %+v %v, want account %s", got, err, c.account)
			}
		})
	}
	var fe *dialect.FieldError
	if _, err := zxHost.Authenticate(ctx, dialect.Credentials{Scheme: "magic"}); !errors.As(err, &fe) || fe.Field != "scheme" {
		t.Errorf("unknown scheme: %v", err)
	}
}

func TestIssuedTokens(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	rm, rmCreds := f.account(t, "ringme")
	other, _ := f.account(t, "ringme")
	zx, _ := f.account(t, "zxycall")
	h := f.svc.For("ringme")

	access, err := h.IssueToken(ctx, rm.ID, dialect.TokenRequest{Kind: "access", TTL: time.Hour})
	if err != nil || access.Value == "" || !access.ExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("issue %+v %v", access, err)
	}
	forever, err := h.IssueToken(ctx, other.ID, dialect.TokenRequest{Kind: "refresh"})
	if err != nil || !forever.ExpiresAt.IsZero() {
		t.Fatalf("issue %+v %v", forever, err)
	}
	auth := func(host dialect.Host, value, kind string) (dialect.Account, error) {
		return host.Authenticate(ctx, dialect.Credentials{Scheme: dialect.CredToken, Secret: value, Kind: kind})
	}
	if a, err := auth(h, access.Value, "access"); err != nil || a.ID != rm.ID {
		t.Errorf("access token: %+v %v", a, err)
	}
	if _, err := auth(h, access.Value, "refresh"); !errors.Is(err, dialect.ErrUnauthenticated) {
		t.Errorf("an access token used as a refresh token: %v", err)
	}
	if _, err := auth(f.svc.For("zxycall"), access.Value, "access"); !errors.Is(err, dialect.ErrUnauthenticated) {
		t.Errorf("a ringme token at the zxycall host: %v", err)
	}

	// signatures over the token (hmac-sha256), as a vendor formula would make them
	mac := hmac.New(sha256.New, []byte(access.Value))
	mac.Write([]byte("ts=1&nonce=2"))
	sig := dialect.Credentials{Scheme: dialect.CredSignature, Principal: rmCreds["client_id"], Kind: "access", Secret: hex.EncodeToString(mac.Sum(nil)),
		Params: map[string]string{"message": "ts=1&nonce=2", "algorithm": "hmac-sha256"}}
	if a, err := h.Authenticate(ctx, sig); err != nil || a.ID != rm.ID {
		t.Errorf("signature: %+v %v", a, err)
	}
	sig.Params = map[string]string{"message": "ts=1&nonce=3", "algorithm": "hmac-sha256"}
	if _, err := h.Authenticate(ctx, sig); !errors.Is(err, dialect.ErrUnauthenticated) {
		t.Errorf("signature over another message: %v", err)
	}
	sig.Kind = ""
	if _, err := h.Authenticate(ctx, sig); !errors.Is(err, dialect.ErrNotImplemented) {
		t.Errorf("signature with the provisioned secret: %v", err)
	}

	f.clock.Add(time.Hour)
	if _, err := auth(h, access.Value, "access"); !errors.Is(err, dialect.ErrUnauthenticated) {
		t.Errorf("expired token: %v", err)
	}
	if _, err := auth(h, forever.Value, "refresh"); err != nil {
		t.Errorf("a token without TTL: %v", err)
	}
	if _, err := accounts.Rotate(ctx, f.db, other.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := auth(h, forever.Value, "refresh"); !errors.Is(err, dialect.ErrUnauthenticated) {
		t.Errorf("a token after its account's credentials rotated: %v", err)
	}

	_, err = h.IssueToken(ctx, zx.ID, dialect.TokenRequest{Kind: "access"})
	isNotFound(t, "a token for another dialect's account", err)
	var fe *dialect.FieldError
	if _, err := h.IssueToken(ctx, rm.ID, dialect.TokenRequest{}); !errors.As(err, &fe) || fe.Field != "kind" {
		t.Errorf("a token without kind: %v", err)
	}
}

func TestQueuesAgentsTiers(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "ringme")
	b, _ := f.account(t, "ringme")
	h := f.svc.For("ringme")

	qc := acd.NewQueueConfig("")
	qc.Strategy = acd.RingAll
	q, err := h.PutQueue(ctx, a.ID, qc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ParseACDID(q.ID); err != nil || q.Strategy != acd.RingAll {
		t.Fatalf("stored queue %+v: id %v", q, err)
	}
	q2, err := h.PutQueue(ctx, a.ID, acd.NewQueueConfig(""))
	if err != nil || q2.ID == q.ID {
		t.Fatalf("second queue %+v %v", q2, err)
	}
	q.MaxWaitTime = time.Minute
	if got, err := h.PutQueue(ctx, a.ID, q); err != nil || got.ID != q.ID || got.MaxWaitTime != time.Minute {
		t.Errorf("replace: %+v %v", got, err)
	}
	if got, err := h.GetQueue(ctx, a.ID, q.ID); err != nil || got.MaxWaitTime != time.Minute {
		t.Errorf("get after replace: %+v %v", got, err)
	}
	_, err = h.PutQueue(ctx, a.ID, acd.QueueConfig{ID: "999999", Strategy: acd.RingAll})
	isNotFound(t, "replace a queue that does not exist", err)
	var fe *dialect.FieldError
	bad := acd.NewQueueConfig("")
	bad.Strategy = "nope"
	if _, err := h.PutQueue(ctx, a.ID, bad); !errors.As(err, &fe) || fe.Field != "strategy" {
		t.Errorf("bad strategy: %v", err)
	}

	ac := acd.NewAgentConfig("", acd.LocalAgent)
	ac.Extension = "PJSIP/1001"
	ag, err := h.PutAgent(ctx, a.ID, ac)
	if err != nil || ag.ID == "" || ag.Extension != "PJSIP/1001" {
		t.Fatalf("agent %+v %v", ag, err)
	}
	if err := h.PutTier(ctx, a.ID, acd.Tier{Queue: q.ID, Agent: ag.ID, Level: 1, Position: 1}); err != nil {
		t.Fatal(err)
	}
	if err := h.SetAgentStatus(ctx, a.ID, ag.ID, acd.Available, "api"); err != nil {
		t.Fatal(err)
	}
	ag.Name = "Ann"
	if got, err := h.PutAgent(ctx, a.ID, ag); err != nil || got.ID != ag.ID || got.Name != "Ann" {
		t.Errorf("replace agent: %+v %v", got, err)
	}
	info, err := h.GetAgent(ctx, a.ID, ag.ID)
	if err != nil || info.Status != acd.Available || info.Config.Name != "Ann" {
		t.Errorf("agent info %+v %v", info, err)
	}
	st, err := h.QueueStatus(ctx, a.ID, q.ID)
	if err != nil || st.LoggedIn != 1 || st.Free != 1 {
		t.Errorf("queue status %+v %v", st, err)
	}
	if ts, err := h.ListTiers(ctx, a.ID, q.ID); err != nil || len(ts) != 1 || ts[0].Agent != ag.ID {
		t.Errorf("tiers %+v %v", ts, err)
	}
	if err := h.DeleteAgent(ctx, a.ID, ag.ID, false); !errors.Is(err, dialect.ErrFailedPrecondition) {
		t.Errorf("delete an agent in a queue: %v", err)
	}

	// account b sees none of a's objects and changes none of them
	if qs, err := h.ListQueues(ctx, b.ID); err != nil || len(qs) != 0 {
		t.Errorf("b lists %+v %v", qs, err)
	}
	if as, err := h.ListAgents(ctx, b.ID); err != nil || len(as) != 0 {
		t.Errorf("b lists agents %+v %v", as, err)
	}
	_, err = h.GetQueue(ctx, b.ID, q.ID)
	isNotFound(t, "b gets a's queue", err)
	_, err = h.PutQueue(ctx, b.ID, q)
	isNotFound(t, "b replaces a's queue", err)
	_, err = h.QueueStatus(ctx, b.ID, q.ID)
	isNotFound(t, "b reads a's queue status", err)
	_, err = h.GetAgent(ctx, b.ID, ag.ID)
	isNotFound(t, "b gets a's agent", err)
	isNotFound(t, "b sets a's agent status", h.SetAgentStatus(ctx, b.ID, ag.ID, acd.OnBreak, "api"))
	isNotFound(t, "b deletes a's queue", h.DeleteQueue(ctx, b.ID, q.ID))
	isNotFound(t, "b deletes a's agent", h.DeleteAgent(ctx, b.ID, ag.ID, true))
	bq, err := h.PutQueue(ctx, b.ID, acd.NewQueueConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	isNotFound(t, "b puts a's agent in its queue", h.PutTier(ctx, b.ID, acd.Tier{Queue: bq.ID, Agent: ag.ID, Level: 1}))
	_, err = h.GetQueue(ctx, a.ID, "sales")
	isNotFound(t, "a non-numeric id", err)
	_, err = f.svc.For("zxycall").GetQueue(ctx, a.ID, q.ID)
	isNotFound(t, "a ringme account through the zxycall host", err)

	if err := h.DeleteAgent(ctx, a.ID, ag.ID, true); err != nil {
		t.Errorf("delete agent: %v", err)
	}
	if err := h.DeleteQueue(ctx, a.ID, q.ID); err != nil {
		t.Errorf("delete queue: %v", err)
	}
	_, err = h.GetQueue(ctx, a.ID, q.ID)
	isNotFound(t, "a deleted queue", err)
}

func ivrCampaign(trunk string) json.RawMessage {
	c := dialer.Campaign{Name: "robot", Mode: dialer.ModeIVR, DefaultRegion: "RU", Trunk: trunk,
		Destination: dialer.Destination{Kind: dialer.DestDialplan, Dialplan: telephony.DialplanTarget{Context: "robot", Extension: "s", Priority: 1}}}
	b, _ := json.Marshal(c)
	return b
}

func TestObjectsContactsHistory(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "zxycall")
	b, _ := f.account(t, "zxycall")
	h := f.svc.For("zxycall")

	tr, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindTrunk, Spec: json.RawMessage(`{"name":"line","max_concurrent":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ParseACDID(tr.ID); err != nil || !strings.Contains(string(tr.Spec), `"id":"`+tr.ID+`"`) {
		t.Fatalf("trunk %+v %s: %v", tr, tr.Spec, err)
	}
	cmp, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindCampaign, Spec: ivrCampaign(tr.ID)})
	if err != nil {
		t.Fatal(err)
	}
	var status struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(cmp.Status, &status); err != nil || cmp.ID == "" || status.State == "" {
		t.Fatalf("campaign %+v %s %v", cmp, cmp.Status, err)
	}
	_, err = h.PutObject(ctx, b.ID, dialect.Object{Kind: dialect.KindCampaign, Spec: ivrCampaign(tr.ID)})
	var fe *dialect.FieldError
	if !errors.As(err, &fe) || fe.Field != "trunk" {
		t.Errorf("b's campaign on a's trunk: %v", err)
	}
	if _, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindCampaign, Spec: json.RawMessage(`[1]`)}); !errors.As(err, &fe) || fe.Field != "spec" {
		t.Errorf("a spec that is not a campaign: %v", err)
	}
	if _, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: "widget"}); !errors.As(err, &fe) || fe.Field != "kind" {
		t.Errorf("unknown kind: %v", err)
	}
	_, err = h.GetObject(ctx, b.ID, dialect.KindCampaign, cmp.ID)
	isNotFound(t, "b gets a's campaign", err)
	_, err = h.GetObject(ctx, b.ID, dialect.KindTrunk, tr.ID)
	isNotFound(t, "b gets a's trunk", err)
	_, err = h.CampaignAction(ctx, b.ID, cmp.ID, dialect.CampaignStart)
	isNotFound(t, "b starts a's campaign", err)
	isNotFound(t, "b deletes a's campaign", h.DeleteObject(ctx, b.ID, dialect.KindCampaign, cmp.ID))
	if p, err := h.ListObjects(ctx, b.ID, dialect.KindCampaign, dialect.Page{}); err != nil || len(p.Objects) != 0 {
		t.Errorf("b lists %+v %v", p, err)
	}

	contacts := func(yield func(dialect.Contact, error) bool) {
		for _, c := range []dialect.Contact{
			{ID: "k1", Name: "Kim", Numbers: []string{"89215650644"}},
			{ID: "k2", Numbers: []string{"not a number"}},
			{ID: "k3", Numbers: []string{"+79215650645"}},
		} {
			if !yield(c, nil) {
				return
			}
		}
	}
	res, err := h.ImportContacts(ctx, a.ID, cmp.ID, contacts)
	if err != nil || res.Accepted != 2 || len(res.Rejected) != 1 || res.Rejected[0].Index != 1 || res.Rejected[0].ID != "k2" {
		t.Fatalf("import %+v %v", res, err)
	}
	_, err = h.ImportContacts(ctx, b.ID, cmp.ID, contacts)
	isNotFound(t, "b imports into a's campaign", err)
	page, err := h.ListContacts(ctx, a.ID, cmp.ID, dialect.Page{Size: 1})
	if err != nil || len(page.Contacts) != 1 || page.Contacts[0].ID != "k1" || page.Contacts[0].Numbers[0] != "+79215650644" || page.NextToken == "" {
		t.Fatalf("first page %+v %v", page, err)
	}
	page, err = h.ListContacts(ctx, a.ID, cmp.ID, dialect.Page{Size: 1, Token: page.NextToken})
	if err != nil || len(page.Contacts) != 1 || page.Contacts[0].ID != "k3" || page.NextToken != "" {
		t.Fatalf("second page %+v %v", page, err)
	}

	started, err := h.CampaignAction(ctx, a.ID, cmp.ID, dialect.CampaignStart)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(started.Status, &status); err != nil || status.State != string(dialer.StateRunning) {
		t.Errorf("started campaign %s %v", started.Status, err)
	}
	// the dialer dials both contacts (the fake PBX lets them ring): their attempts are the call history
	deadline := time.Now().Add(10 * time.Second)
	var calls dialect.CallPage
	for time.Now().Before(deadline) {
		if calls, err = h.CallHistory(ctx, a.ID, dialect.CallQuery{}); err != nil || len(calls.Calls) == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || len(calls.Calls) != 2 {
		t.Fatalf("call history %+v %v", calls, err)
	}
	numbers := []string{calls.Calls[0].Number, calls.Calls[1].Number}
	slices.Sort(numbers)
	if !slices.Equal(numbers, []string{"+79215650644", "+79215650645"}) || calls.Calls[0].Campaign != cmp.ID || calls.Calls[0].Direction != "outbound" {
		t.Errorf("call records %+v", calls.Calls)
	}
	if other, err := h.CallHistory(ctx, b.ID, dialect.CallQuery{}); err != nil || len(other.Calls) != 0 {
		t.Errorf("b's call history %+v %v", other, err)
	}
	if err := h.DeleteObject(ctx, a.ID, dialect.KindCampaign, cmp.ID); !errors.Is(err, dialect.ErrFailedPrecondition) {
		t.Errorf("delete a running campaign: %v", err)
	}
	if _, err := h.CampaignAction(ctx, a.ID, cmp.ID, dialect.CampaignStop); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// specField reads one top-level field of an object's spec.
func specField(t *testing.T, o dialect.Object, field string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(o.Spec, &m); err != nil {
		t.Fatalf("%s %s: spec %s: %v", o.Kind, o.ID, o.Spec, err)
	}
	return m[field]
}

// named is a campaign spec with another name.
func named(spec json.RawMessage, name string) string {
	var m map[string]any
	_ = json.Unmarshal(spec, &m)
	m["name"] = name
	b, _ := json.Marshal(m)
	return string(b)
}

// Every object kind is created with a host-assigned id, read, listed in
// pages, replaced and deleted; bad specs are field errors naming the field,
// on create and on replace; another account finds none of them.
func TestObjectKinds(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "zxycall")
	b, _ := f.account(t, "zxycall")
	h := f.svc.For("zxycall")

	type bad struct{ spec, field string }
	ivr := ivrCampaign("")
	cases := []struct {
		kind        dialect.Kind
		spec, again string // named "one" and "two"
		bad         []bad
	}{
		{dialect.KindCampaign, named(ivr, "one"), named(ivr, "two"), []bad{
			{`{"name":"x","mode":"nope","default_region":"RU"}`, "mode"},
			{`{"name":"x","mode":"ivr","default_region":"RU","ring_timeout":"30s"}`, "ring_timeout"},
		}},
		{dialect.KindTrunk, `{"name":"one","max_concurrent":2}`, `{"name":"two","max_concurrent":3,"caller_id_number":"+74950000000"}`, []bad{
			{`{"max_concurrent":-1}`, "trunk.max_concurrent"},
			{`{"max_concurrent":"x"}`, "max_concurrent"},
			{`{"available_from":"2026-01-02T00:00:00Z","available_until":"2026-01-01T00:00:00Z"}`, "trunk.available_until"},
		}},
		{dialect.KindTimeGroup,
			`{"name":"one","zone":"Europe/Moscow","ranges":[{"days":[1,2,3,4,5],"from":32400000000000,"to":64800000000000}]}`,
			`{"name":"two","ranges":[{"from":75600000000000,"to":32400000000000}],"dates":[{"date":"2027-01-01","ranges":[{"from":0,"to":86400000000000}]}]}`,
			[]bad{
				{`{"name":"x"}`, "ranges"},
				{`{"zone":"Mars/Base","ranges":[{"from":0,"to":3600000000000}]}`, "zone"},
				{`{"ranges":[{"from":0,"to":3600000000000},{"from":0,"to":90000000000000}]}`, "ranges[1]"},
				{`{"ranges":[{"days":[9],"from":0,"to":3600000000000}]}`, "ranges[0].days"},
				{`{"dates":[{"date":"1 Jan","ranges":[{"from":0,"to":3600000000000}]}]}`, "dates[0].date"},
				{`{"ranges":[{"from":"9h"}]}`, "ranges.from"},
			}},
		{dialect.KindRedialPolicy,
			`{"name":"one","rules":{"busy":{"count":2,"intervals":[60000000000]}},"max_tries":3}`,
			`{"name":"two","follow_on":["no_answer"]}`,
			[]bad{
				{`{"max_tries":51}`, "max_tries"},
				{`{"rules":{"answered":{"count":1}}}`, "rules.answered"},
				{`{"rules":{"sleepy":{"count":1}}}`, "rules"},
				{`{"rules":{"busy":{"count":101}}}`, "rules.busy.count"},
				{`{"rules":{"busy":{"count":1,"intervals":[-1]}}}`, "rules.busy.intervals[0]"},
				{`{"follow_on_count":11}`, "follow_on_count"},
			}},
	}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			put := func(account, id, spec string) (dialect.Object, error) {
				return h.PutObject(ctx, account, dialect.Object{Kind: c.kind, ID: id, Spec: json.RawMessage(spec)})
			}
			one, err := put(a.ID, "", c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.ParseACDID(one.ID); err != nil || one.Kind != c.kind || specField(t, one, "id") != one.ID || specField(t, one, "name") != "one" {
				t.Fatalf("created %s %s: %v", one.ID, one.Spec, err)
			}
			other, err := put(a.ID, "", c.spec)
			if err != nil || other.ID == one.ID {
				t.Fatalf("second %+v %v", other, err)
			}
			if got, err := h.GetObject(ctx, a.ID, c.kind, one.ID); err != nil || string(got.Spec) != string(one.Spec) {
				t.Errorf("get %s %v, want %s", got.Spec, err, one.Spec)
			}
			p1, err := h.ListObjects(ctx, a.ID, c.kind, dialect.Page{Size: 1})
			if err != nil || len(p1.Objects) != 1 || p1.Objects[0].ID != one.ID || p1.NextToken == "" {
				t.Fatalf("page 1 %+v %v", p1, err)
			}
			p2, err := h.ListObjects(ctx, a.ID, c.kind, dialect.Page{Size: 1, Token: p1.NextToken})
			if err != nil || len(p2.Objects) != 1 || p2.Objects[0].ID != other.ID || p2.NextToken != "" {
				t.Fatalf("page 2 %+v %v", p2, err)
			}

			two, err := put(a.ID, one.ID, c.again)
			if err != nil || two.ID != one.ID || specField(t, two, "id") != one.ID || specField(t, two, "name") != "two" {
				t.Fatalf("replace %+v %s %v", two, two.Spec, err)
			}
			if got, err := h.GetObject(ctx, a.ID, c.kind, one.ID); err != nil || string(got.Spec) != string(two.Spec) {
				t.Errorf("get after replace %s %v, want %s", got.Spec, err, two.Spec)
			}

			var fe *dialect.FieldError
			for _, bd := range append(c.bad, bad{`[1]`, "spec"}, bad{``, "spec"}) {
				if _, err := put(a.ID, "", bd.spec); !errors.As(err, &fe) || fe.Field != bd.field {
					t.Errorf("create %s: got %v, want a field error on %q", bd.spec, err, bd.field)
				}
				if _, err := put(a.ID, one.ID, bd.spec); !errors.As(err, &fe) || fe.Field != bd.field {
					t.Errorf("replace with %s: got %v, want a field error on %q", bd.spec, err, bd.field)
				}
			}
			if got, err := h.GetObject(ctx, a.ID, c.kind, one.ID); err != nil || specField(t, got, "name") != "two" {
				t.Errorf("after refused replacements %s %v", got.Spec, err)
			}

			_, err = h.GetObject(ctx, b.ID, c.kind, one.ID)
			isNotFound(t, "b gets a's object", err)
			_, err = put(b.ID, one.ID, c.again)
			isNotFound(t, "b replaces a's object", err)
			isNotFound(t, "b deletes a's object", h.DeleteObject(ctx, b.ID, c.kind, one.ID))
			if p, err := h.ListObjects(ctx, b.ID, c.kind, dialect.Page{}); err != nil || len(p.Objects) != 0 {
				t.Errorf("b lists %+v %v", p, err)
			}
			_, err = f.svc.For("ringme").GetObject(ctx, a.ID, c.kind, one.ID)
			isNotFound(t, "a zxycall account through the ringme host", err)
			_, err = put(a.ID, "999999", c.again)
			isNotFound(t, "replace an object that does not exist", err)
			_, err = put(a.ID, "first", c.again)
			isNotFound(t, "replace a non-numeric id", err)
			if got, err := h.GetObject(ctx, a.ID, c.kind, one.ID); err != nil || specField(t, got, "name") != "two" {
				t.Errorf("after b's attempts %s %v", got.Spec, err)
			}

			if err := h.DeleteObject(ctx, a.ID, c.kind, one.ID); err != nil {
				t.Fatal(err)
			}
			_, err = h.GetObject(ctx, a.ID, c.kind, one.ID)
			isNotFound(t, "a deleted object", err)
			isNotFound(t, "delete twice", h.DeleteObject(ctx, a.ID, c.kind, one.ID))
			if p, err := h.ListObjects(ctx, a.ID, c.kind, dialect.Page{}); err != nil || len(p.Objects) != 1 || p.Objects[0].ID != other.ID {
				t.Errorf("after delete %+v %v", p, err)
			}
		})
	}
	var fe *dialect.FieldError
	if _, err := h.ListObjects(ctx, a.ID, dialect.KindTimeGroup, dialect.Page{Filter: map[string]string{"state": "running"}}); !errors.As(err, &fe) || fe.Field != "page.filter" {
		t.Errorf("a campaign filter on time groups: %v", err)
	}
	if err := h.DeleteObject(ctx, a.ID, "widget", "1"); !errors.As(err, &fe) || fe.Field != "kind" {
		t.Errorf("delete an unknown kind: %v", err)
	}
}

// A trunk is replaced under its running campaign but not below the
// campaign's concurrency, and deleted only when no campaign uses it.
func TestTrunkInUse(t *testing.T) {
	f := newFixture(t, webhook.Policy{})
	ctx := context.Background()
	a, _ := f.account(t, "zxycall")
	b, _ := f.account(t, "zxycall")
	h := f.svc.For("zxycall")
	trunk := func(spec string) dialect.Object {
		t.Helper()
		o, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindTrunk, Spec: json.RawMessage(spec)})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	campaign := func(trunk string, maxConcurrent int) dialect.Object {
		t.Helper()
		var c dialer.Campaign
		_ = json.Unmarshal(ivrCampaign(trunk), &c)
		c.Pacing.MaxConcurrent = maxConcurrent
		spec, _ := json.Marshal(c)
		o, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindCampaign, Spec: spec})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}

	line := trunk(`{"name":"line","max_concurrent":2}`)
	running := campaign(line.ID, 2)
	one := func(yield func(dialect.Contact, error) bool) {
		yield(dialect.Contact{ID: "k1", Numbers: []string{"89215650644"}}, nil)
	}
	if _, err := h.ImportContacts(ctx, a.ID, running.ID, one); err != nil {
		t.Fatal(err)
	}
	if _, err := h.CampaignAction(ctx, a.ID, running.ID, dialect.CampaignStart); err != nil {
		t.Fatal(err)
	}
	var fe *dialect.FieldError
	_, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindTrunk, ID: line.ID, Spec: json.RawMessage(`{"name":"narrow","max_concurrent":1}`)})
	if !errors.As(err, &fe) || fe.Field != "trunk.max_concurrent" || !strings.Contains(fe.Reason, "campaign "+running.ID) {
		t.Errorf("a trunk narrower than its campaign: %v", err)
	}
	wide, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindTrunk, ID: line.ID, Spec: json.RawMessage(`{"name":"wide","max_concurrent":4}`)})
	if err != nil || specField(t, wide, "max_concurrent") != 4.0 {
		t.Errorf("replace the trunk of a running campaign: %s %v", wide.Spec, err)
	}
	err = h.DeleteObject(ctx, a.ID, dialect.KindTrunk, line.ID)
	if !errors.Is(err, dialect.ErrFailedPrecondition) || !strings.Contains(err.Error(), running.ID+" (running)") {
		t.Errorf("delete the trunk of a running campaign: %v", err)
	}
	isNotFound(t, "b deletes a's trunk", h.DeleteObject(ctx, b.ID, dialect.KindTrunk, line.ID))

	spare := trunk(`{"name":"spare"}`)
	idle := campaign(spare.ID, 0)
	if err := h.DeleteObject(ctx, a.ID, dialect.KindTrunk, spare.ID); !errors.Is(err, dialect.ErrFailedPrecondition) {
		t.Errorf("delete the trunk of a campaign that never ran: %v", err)
	}
	if err := h.DeleteObject(ctx, a.ID, dialect.KindCampaign, idle.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.DeleteObject(ctx, a.ID, dialect.KindTrunk, spare.ID); err != nil {
		t.Errorf("delete a trunk no campaign uses: %v", err)
	}
	_, err = h.GetObject(ctx, a.ID, dialect.KindTrunk, spare.ID)
	isNotFound(t, "a deleted trunk", err)
	var c dialer.Campaign
	_ = json.Unmarshal(ivrCampaign(spare.ID), &c)
	spec, _ := json.Marshal(c)
	if _, err := h.PutObject(ctx, a.ID, dialect.Object{Kind: dialect.KindCampaign, Spec: spec}); !errors.As(err, &fe) || fe.Field != "trunk" {
		t.Errorf("a campaign on a deleted trunk: %v", err)
	}
	if p, err := h.ListObjects(ctx, a.ID, dialect.KindTrunk, dialect.Page{}); err != nil || len(p.Objects) != 1 || p.Objects[0].ID != line.ID {
		t.Errorf("trunks %+v %v", p, err)
	}
}
