package dialect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	pb "github.com/switchboard-cc/switchboard/pkg/dialect/dialectpb"
)

// fixtures with every field set, so a field the shims drop shows up.
var (
	t0 = time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)

	fxQueue = acd.QueueConfig{ID: "q1", Strategy: acd.RingProgressively, RingProgressivelyDelay: 7 * time.Second,
		TierRulesApply: true, TierRuleWaitSecond: 11 * time.Second, TierRuleWaitMultiplyLevel: true, TierRuleNoAgentNoWait: true,
		TimeBaseScore: acd.ScoreFromSystem, MaxWaitTime: time.Minute, MaxWaitTimeWithNoAgent: 2 * time.Minute,
		MaxWaitTimeWithNoAgentTimeReached: 3 * time.Second, ExitWithNoAvailableAgents: true, ExitKey: "#",
		TimeoutTransferDst: "ctx,1,1", NoAgentTimeoutTransferDst: "ctx,2,1", ExitTransferDst: "ctx,3,1",
		DiscardAbandonedAfter: 90 * time.Second, AbandonedResumeAllowed: true, AnnounceSound: "ann", AnnounceFrequency: 30 * time.Second,
		Sound: "moh", SoundType: "ringback", RecordEnabled: true, AgentAnnounceSound: "whisper", AgentReportWaitTime: true,
		Attrs: map[string]string{"name": "000*370"}}
	fxStatus = acd.QueueStatus{Queue: "q1", Answered: 1, Trying: 2, Waiting: 3, LoggedIn: 4, Free: 5,
		Stats: acd.QueueStats{Joined: 6, Answered: 7, Abandoned: 8, TimedOut: 9, Exited: 10}}
	fxMember = acd.Member{Caller: "c1", Joined: t0, Number: "+79215650644", Name: "Ann", ServingAgent: "a1", State: "trying", WaitTime: 1500 * time.Millisecond}
	fxAgent  = acd.AgentConfig{ID: "a1", Type: acd.RemoteAgent, Extension: "PJSIP/1001", Number: "89215650644", Trunk: "t1", Name: "Bob",
		CallTimeout: 20 * time.Second, BusyDelayTime: 1 * time.Second, NoAnswerDelayTime: 2 * time.Second, RejectDelayTime: 3 * time.Second,
		WrapUpTime: 4 * time.Second, MaxNoAnswer: 3}
	fxTier      = acd.Tier{Queue: "q1", Agent: "a1", Level: 2, Position: 3}
	fxAgentInfo = acd.AgentInfo{Config: fxAgent, Status: acd.Available, State: acd.InCall, StatusSince: t0, StateSince: t0.Add(time.Second),
		ReadyAt: t0.Add(2 * time.Second), Calls: 5, TalkTime: 9 * time.Minute, LastBridgeEnd: t0.Add(-time.Hour), NoAnswerCount: 1,
		Queues: []acd.Tier{fxTier}, Caller: "c1"}
	fxAccount = dialect.Account{ID: "acc1", Name: "Acme", DefaultRegion: "RU", Attrs: map[string]string{"plan": "gold"}}
	fxObject  = dialect.Object{Kind: dialect.KindCampaign, ID: "cmp1", Spec: json.RawMessage(`{"id":"cmp1","mode":"ivr"}`), Status: json.RawMessage(`{"state":"running"}`)}
	fxContact = dialect.Contact{ID: "k1", Name: "Kim", Description: "vip", Numbers: []string{"89215650644", "89215650645"}, Callback: "84951234567",
		Custom: map[string]string{"a": "b"}, Variables: map[string]string{"v": "w"}, NotBefore: t0, MaxTries: 3, RetryPause: time.Minute,
		Attrs: map[string]string{"x": "y"}, Status: "scheduled", Tries: 1, CallerIDName: "Shop", CallerIDNumber: "+74951112233"}
	fxSub = dialect.Subscription{ID: "s1", Account: "acc1", Campaign: "cmp1", Agent: "a7", Contact: "k1", EventTypes: []string{"attempt.*"}, URL: "https://example.net/hook", Method: "POST", Format: "json",
		Events: []string{"attempt.finished"}, Attrs: map[string]string{"url_after": "https://example.net/after"}}
	fxCall = dialect.CallRecord{ID: "att1", Call: "call1", Direction: "outbound", Campaign: "cmp1", Contact: "k1", Queue: "q1", Agent: "a1",
		Number: "+79215650644", CallerID: "+74951234567", Started: t0, Answered: t0.Add(5 * time.Second), Ended: t0.Add(time.Minute),
		Outcome: "answered", Cause: "16", Recording: "rec.wav", Attrs: map[string]string{"k": "v"}}
	fxToken = dialect.Token{Value: "tok", Kind: "access", ExpiresAt: t0.Add(time.Hour)}
	fxPage  = dialect.Page{Size: 50, Token: "tok", Filter: map[string]string{"state": "running"}}
)

// recHost records the arguments of each call and returns the fixtures.
type recHost struct {
	calls   map[string][]any
	err     error
	imports []dialect.Contact
}

func (h *recHost) rec(method string, args ...any) error {
	if h.calls == nil {
		h.calls = map[string][]any{}
	}
	h.calls[method] = args
	return h.err
}

func (h *recHost) Authenticate(_ context.Context, c dialect.Credentials) (dialect.Account, error) {
	return fxAccount, h.rec("Authenticate", c)
}
func (h *recHost) IssueToken(_ context.Context, a string, r dialect.TokenRequest) (dialect.Token, error) {
	return fxToken, h.rec("IssueToken", a, r)
}
func (h *recHost) PutQueue(_ context.Context, a string, q acd.QueueConfig) (acd.QueueConfig, error) {
	err := h.rec("PutQueue", a, q)
	q.ID = "208" // as a host assigns it
	return q, err
}
func (h *recHost) GetQueue(_ context.Context, a, id string) (acd.QueueConfig, error) {
	return fxQueue, h.rec("GetQueue", a, id)
}
func (h *recHost) ListQueues(_ context.Context, a string) ([]acd.QueueConfig, error) {
	return []acd.QueueConfig{fxQueue, fxQueue}, h.rec("ListQueues", a)
}
func (h *recHost) DeleteQueue(_ context.Context, a, id string) error {
	return h.rec("DeleteQueue", a, id)
}
func (h *recHost) QueueStatus(_ context.Context, a, id string) (acd.QueueStatus, error) {
	return fxStatus, h.rec("QueueStatus", a, id)
}
func (h *recHost) QueueMembers(_ context.Context, a, id string) ([]acd.Member, error) {
	return []acd.Member{fxMember}, h.rec("QueueMembers", a, id)
}
func (h *recHost) PutAgent(_ context.Context, a string, ag acd.AgentConfig) (acd.AgentConfig, error) {
	err := h.rec("PutAgent", a, ag)
	ag.ID = "1" // as a host assigns it
	return ag, err
}
func (h *recHost) GetAgent(_ context.Context, a, id string) (acd.AgentInfo, error) {
	return fxAgentInfo, h.rec("GetAgent", a, id)
}
func (h *recHost) ListAgents(_ context.Context, a string) ([]acd.AgentInfo, error) {
	return []acd.AgentInfo{fxAgentInfo}, h.rec("ListAgents", a)
}
func (h *recHost) DeleteAgent(_ context.Context, a, id string, rm bool) error {
	return h.rec("DeleteAgent", a, id, rm)
}
func (h *recHost) SetAgentStatus(_ context.Context, a, ag string, st acd.Status, src string) error {
	return h.rec("SetAgentStatus", a, ag, st, src)
}
func (h *recHost) PutTier(_ context.Context, a string, t acd.Tier) error {
	return h.rec("PutTier", a, t)
}
func (h *recHost) DeleteTier(_ context.Context, a, q, ag string) error {
	return h.rec("DeleteTier", a, q, ag)
}
func (h *recHost) ListTiers(_ context.Context, a, q string) ([]acd.Tier, error) {
	return []acd.Tier{fxTier}, h.rec("ListTiers", a, q)
}
func (h *recHost) PutObject(_ context.Context, a string, o dialect.Object) (dialect.Object, error) {
	return fxObject, h.rec("PutObject", a, o)
}
func (h *recHost) GetObject(_ context.Context, a string, k dialect.Kind, id string) (dialect.Object, error) {
	return fxObject, h.rec("GetObject", a, k, id)
}
func (h *recHost) ListObjects(_ context.Context, a string, k dialect.Kind, p dialect.Page) (dialect.ObjectPage, error) {
	return dialect.ObjectPage{Objects: []dialect.Object{fxObject}, NextToken: "n"}, h.rec("ListObjects", a, k, p)
}
func (h *recHost) DeleteObject(_ context.Context, a string, k dialect.Kind, id string) error {
	return h.rec("DeleteObject", a, k, id)
}
func (h *recHost) CampaignAction(_ context.Context, a, c string, act dialect.CampaignAction) (dialect.Object, error) {
	return fxObject, h.rec("CampaignAction", a, c, act)
}
func (h *recHost) ImportContacts(_ context.Context, a, c string, cs iter.Seq2[dialect.Contact, error]) (dialect.ImportResult, error) {
	for ct, err := range cs {
		if err != nil {
			return dialect.ImportResult{}, err
		}
		h.imports = append(h.imports, ct)
	}
	return dialect.ImportResult{Accepted: len(h.imports), Rejected: []dialect.Rejection{{Index: 1, ID: "k2", Raw: "x", Field: "numbers", Reason: "invalid_number"}}},
		h.rec("ImportContacts", a, c)
}
func (h *recHost) ListContacts(_ context.Context, a, c string, p dialect.Page) (dialect.ContactPage, error) {
	return dialect.ContactPage{Contacts: []dialect.Contact{fxContact}, NextToken: "n"}, h.rec("ListContacts", a, c, p)
}
func (h *recHost) RedialContact(_ context.Context, a, c string, r dialect.Redial) error {
	return h.rec("RedialContact", a, c, r)
}
func (h *recHost) HangupCall(_ context.Context, a, c string) error {
	return h.rec("HangupCall", a, c)
}
func (h *recHost) TransferCall(_ context.Context, a, c, d string) error {
	return h.rec("TransferCall", a, c, d)
}
func (h *recHost) CancelContact(_ context.Context, a, c, k string) error {
	return h.rec("CancelContact", a, c, k)
}
func (h *recHost) PutSubscription(_ context.Context, a string, s dialect.Subscription) (dialect.Subscription, error) {
	return fxSub, h.rec("PutSubscription", a, s)
}
func (h *recHost) ListSubscriptions(_ context.Context, a string, p dialect.Page) (dialect.SubscriptionPage, error) {
	return dialect.SubscriptionPage{Subscriptions: []dialect.Subscription{fxSub}, NextToken: "n"}, h.rec("ListSubscriptions", a, p)
}
func (h *recHost) PutState(_ context.Context, a, k string, v []byte, ttl time.Duration) error {
	return h.rec("PutState", a, k, string(v), ttl)
}
func (h *recHost) PutStateIfAbsent(_ context.Context, a, k string, v []byte, ttl time.Duration) (bool, error) {
	return k == "fresh", h.rec("PutStateIfAbsent", a, k, string(v), ttl)
}
func (h *recHost) GetState(_ context.Context, a, k string) ([]byte, error) {
	return []byte("v-" + k), h.rec("GetState", a, k)
}
func (h *recHost) DeleteState(_ context.Context, a, k string) error {
	return h.rec("DeleteState", a, k)
}
func (h *recHost) AddState(_ context.Context, a, k string, d int64, ttl time.Duration) (int64, error) {
	return d + 40, h.rec("AddState", a, k, d, ttl)
}
func (h *recHost) ListState(_ context.Context, a, p, tok string, n int) (dialect.StatePage, error) {
	return dialect.StatePage{Entries: []dialect.StateEntry{{Key: p + "1", Value: []byte("v"), Count: 3}, {Key: p + "2", Value: []byte{}}}, NextToken: p + "2"},
		h.rec("ListState", a, p, tok, n)
}
func (h *recHost) DeleteSubscription(_ context.Context, a, id string) error {
	return h.rec("DeleteSubscription", a, id)
}
func (h *recHost) CallHistory(_ context.Context, a string, q dialect.CallQuery) (dialect.CallPage, error) {
	return dialect.CallPage{Calls: []dialect.CallRecord{fxCall}, NextToken: "n"}, h.rec("CallHistory", a, q)
}

// hostPair serves impl over a real gRPC connection and returns the client.
func hostPair(t *testing.T, impl dialect.Host) dialect.Host { return hostPairB(t, impl) }

func hostPairB(t testing.TB, impl dialect.Host) dialect.Host {
	t.Helper()
	conn, srv := plugin.TestGRPCConn(t, func(s *grpc.Server) { pb.RegisterHostServer(s, &dialect.HostGRPCServer{Impl: impl}) })
	t.Cleanup(func() { _ = conn.Close(); srv.Stop() })
	return dialect.NewHostGRPCClient(conn)
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

func TestHostAPIRoundTrip(t *testing.T) {
	rec := &recHost{}
	h := hostPair(t, rec)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cred := dialect.Credentials{Scheme: dialect.CredSignature, Principal: "p", Secret: "s", Kind: "api",
		Params: map[string]string{"message": "p&{secret}&1", "algorithm": "sha256"}}
	acct, err := h.Authenticate(ctx, cred)
	must(err)
	eq(t, "Authenticate result", acct, fxAccount)
	eq(t, "Authenticate args", rec.calls["Authenticate"], []any{cred})

	tok, err := h.IssueToken(ctx, "acc1", dialect.TokenRequest{Kind: "access", TTL: time.Hour})
	must(err)
	eq(t, "IssueToken", tok, fxToken)
	eq(t, "IssueToken args", rec.calls["IssueToken"], []any{"acc1", dialect.TokenRequest{Kind: "access", TTL: time.Hour}})

	newQueue := fxQueue
	newQueue.ID = ""
	storedQueue, err := h.PutQueue(ctx, "acc1", newQueue)
	must(err)
	wantQueue := fxQueue
	wantQueue.ID = "208"
	eq(t, "PutQueue result", storedQueue, wantQueue)
	eq(t, "PutQueue args", rec.calls["PutQueue"], []any{"acc1", newQueue})
	q, err := h.GetQueue(ctx, "acc1", "q1")
	must(err)
	eq(t, "GetQueue", q, fxQueue)
	eq(t, "GetQueue args", rec.calls["GetQueue"], []any{"acc1", "q1"})
	qs, err := h.ListQueues(ctx, "acc1")
	must(err)
	eq(t, "ListQueues", qs, []acd.QueueConfig{fxQueue, fxQueue})
	must(h.DeleteQueue(ctx, "acc1", "q1"))
	eq(t, "DeleteQueue args", rec.calls["DeleteQueue"], []any{"acc1", "q1"})
	st, err := h.QueueStatus(ctx, "acc1", "q1")
	must(err)
	eq(t, "QueueStatus", st, fxStatus)
	ms, err := h.QueueMembers(ctx, "acc1", "q1")
	must(err)
	eq(t, "QueueMembers", ms, []acd.Member{fxMember})
	must(h.HangupCall(ctx, "acc1", "1763884800.42"))
	eq(t, "HangupCall args", rec.calls["HangupCall"], []any{"acc1", "1763884800.42"})
	must(h.TransferCall(ctx, "acc1", "1763884800.42", "ivr,s,1"))
	eq(t, "TransferCall args", rec.calls["TransferCall"], []any{"acc1", "1763884800.42", "ivr,s,1"})

	newAgent := fxAgent
	newAgent.ID = ""
	storedAgent, err := h.PutAgent(ctx, "acc1", newAgent)
	must(err)
	wantAgent := fxAgent
	wantAgent.ID = "1"
	eq(t, "PutAgent result", storedAgent, wantAgent)
	eq(t, "PutAgent args", rec.calls["PutAgent"], []any{"acc1", newAgent})
	ai, err := h.GetAgent(ctx, "acc1", "a1")
	must(err)
	eq(t, "GetAgent", ai, fxAgentInfo)
	as, err := h.ListAgents(ctx, "acc1")
	must(err)
	eq(t, "ListAgents", as, []acd.AgentInfo{fxAgentInfo})
	must(h.DeleteAgent(ctx, "acc1", "a1", true))
	eq(t, "DeleteAgent args", rec.calls["DeleteAgent"], []any{"acc1", "a1", true})
	must(h.SetAgentStatus(ctx, "acc1", "a1", acd.OnBreak, "api"))
	eq(t, "SetAgentStatus args", rec.calls["SetAgentStatus"], []any{"acc1", "a1", acd.OnBreak, "api"})

	must(h.PutTier(ctx, "acc1", fxTier))
	eq(t, "PutTier args", rec.calls["PutTier"], []any{"acc1", fxTier})
	must(h.DeleteTier(ctx, "acc1", "q1", "a1"))
	eq(t, "DeleteTier args", rec.calls["DeleteTier"], []any{"acc1", "q1", "a1"})
	ts, err := h.ListTiers(ctx, "acc1", "q1")
	must(err)
	eq(t, "ListTiers", ts, []acd.Tier{fxTier})

	o, err := h.PutObject(ctx, "acc1", fxObject)
	must(err)
	eq(t, "PutObject", o, fxObject)
	eq(t, "PutObject args", rec.calls["PutObject"], []any{"acc1", fxObject})
	o, err = h.GetObject(ctx, "acc1", dialect.KindTrunk, "t1")
	must(err)
	eq(t, "GetObject", o, fxObject)
	eq(t, "GetObject args", rec.calls["GetObject"], []any{"acc1", dialect.KindTrunk, "t1"})
	op, err := h.ListObjects(ctx, "acc1", dialect.KindTimeGroup, fxPage)
	must(err)
	eq(t, "ListObjects", op, dialect.ObjectPage{Objects: []dialect.Object{fxObject}, NextToken: "n"})
	eq(t, "ListObjects args", rec.calls["ListObjects"], []any{"acc1", dialect.KindTimeGroup, fxPage})
	must(h.DeleteObject(ctx, "acc1", dialect.KindRedialPolicy, "r1"))
	eq(t, "DeleteObject args", rec.calls["DeleteObject"], []any{"acc1", dialect.KindRedialPolicy, "r1"})
	o, err = h.CampaignAction(ctx, "acc1", "cmp1", dialect.CampaignStop)
	must(err)
	eq(t, "CampaignAction", o, fxObject)
	eq(t, "CampaignAction args", rec.calls["CampaignAction"], []any{"acc1", "cmp1", dialect.CampaignStop})

	cp, err := h.ListContacts(ctx, "acc1", "cmp1", fxPage)
	must(err)
	eq(t, "ListContacts", cp, dialect.ContactPage{Contacts: []dialect.Contact{fxContact}, NextToken: "n"})
	eq(t, "ListContacts args", rec.calls["ListContacts"], []any{"acc1", "cmp1", fxPage})

	for _, r := range []dialect.Redial{
		{Contact: "k1", Number: "+79215650644", At: t0.Add(time.Hour)}, // recall at a time
		{Number: "+79215650645"}, // follow-on now: At stays zero
	} {
		must(h.RedialContact(ctx, "acc1", "cmp1", r))
		eq(t, "RedialContact args", rec.calls["RedialContact"], []any{"acc1", "cmp1", r})
	}

	must(h.CancelContact(ctx, "acc1", "cmp1", "k1"))
	eq(t, "CancelContact args", rec.calls["CancelContact"], []any{"acc1", "cmp1", "k1"})

	s, err := h.PutSubscription(ctx, "acc1", fxSub)
	must(err)
	eq(t, "PutSubscription", s, fxSub)
	eq(t, "PutSubscription args", rec.calls["PutSubscription"], []any{"acc1", fxSub})
	ss, err := h.ListSubscriptions(ctx, "acc1", fxPage)
	must(err)
	eq(t, "ListSubscriptions", ss, dialect.SubscriptionPage{Subscriptions: []dialect.Subscription{fxSub}, NextToken: "n"})
	eq(t, "ListSubscriptions args", rec.calls["ListSubscriptions"], []any{"acc1", fxPage})
	must(h.DeleteSubscription(ctx, "acc1", "s1"))
	eq(t, "DeleteSubscription args", rec.calls["DeleteSubscription"], []any{"acc1", "s1"})

	must(h.PutState(ctx, "acc1", "k", []byte("val"), time.Minute))
	eq(t, "PutState args", rec.calls["PutState"], []any{"acc1", "k", "val", time.Minute})
	for _, key := range []string{"fresh", "taken"} {
		stored, err := h.PutStateIfAbsent(ctx, "acc1", key, []byte("n"), 15*time.Minute)
		must(err)
		eq(t, "PutStateIfAbsent "+key, stored, key == "fresh")
		eq(t, "PutStateIfAbsent args", rec.calls["PutStateIfAbsent"], []any{"acc1", key, "n", 15 * time.Minute})
	}
	v, err := h.GetState(ctx, "acc1", "k")
	must(err)
	eq(t, "GetState", string(v), "v-k")
	eq(t, "GetState args", rec.calls["GetState"], []any{"acc1", "k"})
	must(h.DeleteState(ctx, "acc1", "k"))
	eq(t, "DeleteState args", rec.calls["DeleteState"], []any{"acc1", "k"})
	n, err := h.AddState(ctx, "acc1", "c", -2, time.Hour)
	must(err)
	eq(t, "AddState", n, int64(38))
	eq(t, "AddState args", rec.calls["AddState"], []any{"acc1", "c", int64(-2), time.Hour})
	sp, err := h.ListState(ctx, "acc1", "sg:", "sg:0", 7)
	must(err)
	eq(t, "ListState", sp, dialect.StatePage{Entries: []dialect.StateEntry{{Key: "sg:1", Value: []byte("v"), Count: 3}, {Key: "sg:2", Value: []byte{}}}, NextToken: "sg:2"})
	eq(t, "ListState args", rec.calls["ListState"], []any{"acc1", "sg:", "sg:0", 7})

	cq := dialect.CallQuery{Campaign: "cmp1", Contact: "k1", Queue: "q1", Agent: "a1", From: t0, To: t0.Add(time.Hour), Page: dialect.Page{Size: 10, Token: "t"}}
	calls, err := h.CallHistory(ctx, "acc1", cq)
	must(err)
	eq(t, "CallHistory", calls, dialect.CallPage{Calls: []dialect.CallRecord{fxCall}, NextToken: "n"})
	eq(t, "CallHistory args", rec.calls["CallHistory"], []any{"acc1", cq})
}

func TestImportContactsStreamsInChunks(t *testing.T) {
	for _, n := range []int{0, 1, 500, 1234} {
		rec := &recHost{}
		h := hostPair(t, rec)
		want := make([]dialect.Contact, n)
		for i := range want {
			want[i] = fxContact
			want[i].ID = "k" + string(rune('a'+i%26)) + time.Duration(i).String()
		}
		res, err := h.ImportContacts(context.Background(), "acc1", "cmp1", func(yield func(dialect.Contact, error) bool) {
			for _, c := range want {
				if !yield(c, nil) {
					return
				}
			}
		})
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if res.Accepted != n || len(res.Rejected) != 1 || res.Rejected[0].Reason != "invalid_number" {
			t.Errorf("n=%d: result %+v", n, res)
		}
		if n > 0 && !reflect.DeepEqual(rec.imports, want) {
			t.Errorf("n=%d: host received %d contacts, want %d (or they differ)", n, len(rec.imports), n)
		}
		eq(t, "ImportContacts args", rec.calls["ImportContacts"], []any{"acc1", "cmp1"})
	}
}

func TestImportContactsSourceError(t *testing.T) {
	h := hostPair(t, &recHost{})
	boom := errors.New("csv line 3: bad quote")
	_, err := h.ImportContacts(context.Background(), "acc1", "cmp1", func(yield func(dialect.Contact, error) bool) {
		if yield(fxContact, nil) {
			yield(dialect.Contact{}, boom)
		}
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the source's error", err)
	}
}

func TestHostErrorsCrossTheWire(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		is    error
		field *dialect.FieldError
	}{
		{"field", &dialect.FieldError{Field: "strategy", Value: "bogus", Reason: "unknown strategy"}, nil,
			&dialect.FieldError{Field: "strategy", Value: "bogus", Reason: "unknown strategy"}},
		{"acd field", &acd.FieldError{Field: "exit_key", Value: "xx", Reason: "must be one DTMF digit"}, nil,
			&dialect.FieldError{Field: "exit_key", Value: "xx", Reason: "must be one DTMF digit"}},
		{"non-utf8 value", &dialect.FieldError{Field: "name", Value: "a\xffb", Reason: "bad"}, nil,
			&dialect.FieldError{Field: "name", Value: "a\uFFFDb", Reason: "bad"}},
		{"acd unknown queue", acd.ErrUnknownQueue, dialect.ErrNotFound, nil},
		{"acd duplicate", acd.ErrDuplicate, dialect.ErrConflict, nil},
		{"acd agent in queues", acd.ErrAgentInQueues, dialect.ErrFailedPrecondition, nil},
		{"acd stopped", acd.ErrStopped, dialect.ErrUnavailable, nil},
		{"not found", dialect.ErrNotFound, dialect.ErrNotFound, nil},
		{"unauthenticated", dialect.ErrUnauthenticated, dialect.ErrUnauthenticated, nil},
		{"permission", dialect.ErrPermissionDenied, dialect.ErrPermissionDenied, nil},
		{"not implemented", dialect.ErrNotImplemented, dialect.ErrNotImplemented, nil},
		{"deadline", context.DeadlineExceeded, context.DeadlineExceeded, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := hostPair(t, &recHost{err: c.err})
			_, err := h.QueueStatus(context.Background(), "acc1", "q1")
			if err == nil {
				t.Fatal("no error")
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err %v is not %v", err, c.is)
			}
			if c.field != nil {
				var fe *dialect.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("err %v (%T) is not a *FieldError", err, err)
				}
				eq(t, "field error", fe, c.field)
			}
		})
	}
	t.Run("unknown error is internal, message kept", func(t *testing.T) {
		h := hostPair(t, &recHost{err: errors.New("disk on fire")})
		err := h.DeleteQueue(context.Background(), "acc1", "q1")
		if err == nil || !slices.Contains([]string{"Internal: disk on fire"}, err.Error()) {
			t.Errorf("err = %v", err)
		}
	})
}

// TransferCall's errors reach the plugin as the host gave them: a field
// error on destination, an unknown call as ErrNotFound (also when the host
// answers with the ACD's ErrUnknownCaller).
func TestCallControlErrorsCrossTheWire(t *testing.T) {
	fe := &dialect.FieldError{Field: "destination", Value: "a b", Reason: "must be UTF-8 without spaces or control characters"}
	h := hostPair(t, &recHost{err: fe})
	var got *dialect.FieldError
	if err := h.TransferCall(context.Background(), "acc1", "c1", "a b"); !errors.As(err, &got) {
		t.Fatalf("err %v, want a field error", err)
	}
	eq(t, "field error", got, fe)
	h = hostPair(t, &recHost{err: fmt.Errorf("call %q: %w", "c1", acd.ErrUnknownCaller)})
	if err := h.HangupCall(context.Background(), "acc1", "c1"); !errors.Is(err, dialect.ErrNotFound) {
		t.Errorf("err %v, want ErrNotFound", err)
	}
}

// A number the campaign does not hold comes back as ErrNotFound that
// still names the number, so a dialect can answer with its own code.
func TestRedialContactNotFoundNamesTheNumber(t *testing.T) {
	h := hostPair(t, &recHost{err: fmt.Errorf("number %q is not in campaign cmp1: %w", "+79215650699", dialect.ErrNotFound)})
	err := h.RedialContact(context.Background(), "acc1", "cmp1", dialect.Redial{Number: "+79215650699"})
	if !errors.Is(err, dialect.ErrNotFound) || !strings.Contains(err.Error(), `number "+79215650699"`) {
		t.Errorf("err = %v; want ErrNotFound naming the number", err)
	}
}

func TestFromCoreKeepsBothSentinels(t *testing.T) {
	err := dialect.FromCore(acd.ErrUnknownAgent)
	if !errors.Is(err, dialect.ErrNotFound) || !errors.Is(err, acd.ErrUnknownAgent) {
		t.Errorf("FromCore(ErrUnknownAgent) = %v; want both ErrNotFound and acd.ErrUnknownAgent", err)
	}
	if dialect.FromCore(nil) != nil {
		t.Error("FromCore(nil) != nil")
	}
}
