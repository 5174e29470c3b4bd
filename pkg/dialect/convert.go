package dialect

import (
	"net/http"
	"net/url"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	pb "github.com/switchboard-cc/switchboard/pkg/dialect/dialectpb"
	"github.com/switchboard-cc/switchboard/pkg/event"
)

// The functions in this file translate between this package's types and the
// wire messages. A zero time.Time travels as an absent Timestamp, so it
// comes back zero.

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func fromTS(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func dur(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}

func fromDur(d *durationpb.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.AsDuration()
}

func valuesToPB[M ~map[string][]string](m M) map[string]*pb.Values {
	if m == nil {
		return nil
	}
	out := make(map[string]*pb.Values, len(m))
	for k, vs := range m {
		out[k] = &pb.Values{Values: vs}
	}
	return out
}

func valuesFromPB(m map[string]*pb.Values) map[string][]string {
	if m == nil {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = v.GetValues()
	}
	return out
}

// RequestToPB converts a request to its wire form.
func RequestToPB(r Request) *pb.HTTPRequest {
	m := &pb.HTTPRequest{Method: r.Method, Path: r.Path, Query: valuesToPB(r.Query), Header: valuesToPB(r.Header),
		Body: r.Body, RemoteAddr: r.RemoteAddr, Host: r.Host}
	if r.Account != nil {
		m.Account = accountToPB(*r.Account)
	}
	return m
}

// RequestFromPB converts a request from its wire form.
func RequestFromPB(m *pb.HTTPRequest) Request {
	r := Request{Method: m.GetMethod(), Path: m.GetPath(), Query: url.Values(valuesFromPB(m.GetQuery())),
		Header: http.Header(valuesFromPB(m.GetHeader())), Body: m.GetBody(), RemoteAddr: m.GetRemoteAddr(), Host: m.GetHost()}
	if m.GetAccount() != nil {
		a := accountFromPB(m.GetAccount())
		r.Account = &a
	}
	return r
}

func accountToPB(a Account) *pb.Account {
	return &pb.Account{Id: a.ID, Name: a.Name, DefaultRegion: a.DefaultRegion, Attrs: a.Attrs}
}

func accountFromPB(m *pb.Account) Account {
	return Account{ID: m.GetId(), Name: m.GetName(), DefaultRegion: m.GetDefaultRegion(), Attrs: m.GetAttrs()}
}

func tokenAuthToPB(a *TokenAuth) *pb.TokenAuth {
	if a == nil {
		return nil
	}
	return &pb.TokenAuth{Header: a.Header, Prefix: a.Prefix, Query: a.Query, Kind: a.Kind}
}

func tokenAuthFromPB(m *pb.TokenAuth) *TokenAuth {
	if m == nil {
		return nil
	}
	return &TokenAuth{Header: m.GetHeader(), Prefix: m.GetPrefix(), Query: m.GetQuery(), Kind: m.GetKind()}
}

// ResponseToPB converts a response to its wire form.
func ResponseToPB(r Response) *pb.HTTPResponse {
	return &pb.HTTPResponse{Status: int32(r.Status), Header: valuesToPB(r.Header), Body: r.Body}
}

// ResponseFromPB converts a response from its wire form.
func ResponseFromPB(m *pb.HTTPResponse) Response {
	return Response{Status: int(m.GetStatus()), Header: http.Header(valuesFromPB(m.GetHeader())), Body: m.GetBody()}
}

func eventToPB(e event.Event) *pb.Event {
	return &pb.Event{Id: e.ID, Type: string(e.Type), At: ts(e.At), Tenant: e.Tenant, Queue: e.Queue, Agent: e.Agent,
		Call: e.Call, Campaign: e.Campaign, Contact: e.Contact, Attempt: e.Attempt, From: e.From, To: e.To,
		Reason: e.Reason, Outcome: e.Outcome, Number: e.Number, DurationMs: e.DurationMS, Source: e.Source, Attrs: e.Attrs}
}

func eventFromPB(m *pb.Event) event.Event {
	return event.Event{ID: m.GetId(), Type: event.Type(m.GetType()), At: fromTS(m.GetAt()), Tenant: m.GetTenant(),
		Queue: m.GetQueue(), Agent: m.GetAgent(), Call: m.GetCall(), Campaign: m.GetCampaign(), Contact: m.GetContact(),
		Attempt: m.GetAttempt(), From: m.GetFrom(), To: m.GetTo(), Reason: m.GetReason(), Outcome: m.GetOutcome(),
		Number: m.GetNumber(), DurationMS: m.GetDurationMs(), Source: m.GetSource(), Attrs: m.GetAttrs()}
}

func subscriptionToPB(s Subscription) *pb.Subscription {
	return &pb.Subscription{Id: s.ID, Account: s.Account, Campaign: s.Campaign, Url: s.URL, Method: s.Method,
		Format: s.Format, Events: s.Events, Attrs: s.Attrs, EventTypes: s.EventTypes, Agent: s.Agent, Contact: s.Contact}
}

func subscriptionFromPB(m *pb.Subscription) Subscription {
	return Subscription{ID: m.GetId(), Account: m.GetAccount(), Campaign: m.GetCampaign(), URL: m.GetUrl(),
		Method: m.GetMethod(), Format: m.GetFormat(), Events: m.GetEvents(), Attrs: m.GetAttrs(),
		EventTypes: m.GetEventTypes(), Agent: m.GetAgent(), Contact: m.GetContact()}
}

func webhookToPB(w Webhook) *pb.Webhook {
	return &pb.Webhook{Method: w.Method, Url: w.URL, ContentType: w.ContentType, Header: valuesToPB(w.Header), Body: w.Body}
}

func webhookFromPB(m *pb.Webhook) Webhook {
	return Webhook{Method: m.GetMethod(), URL: m.GetUrl(), ContentType: m.GetContentType(),
		Header: http.Header(valuesFromPB(m.GetHeader())), Body: m.GetBody()}
}

func queueToPB(q acd.QueueConfig) *pb.Queue {
	return &pb.Queue{
		Id: q.ID, Strategy: string(q.Strategy), RingProgressivelyDelay: dur(q.RingProgressivelyDelay),
		TierRulesApply: q.TierRulesApply, TierRuleWaitSecond: dur(q.TierRuleWaitSecond),
		TierRuleWaitMultiplyLevel: q.TierRuleWaitMultiplyLevel, TierRuleNoAgentNoWait: q.TierRuleNoAgentNoWait,
		TimeBaseScore: string(q.TimeBaseScore), MaxWaitTime: dur(q.MaxWaitTime),
		MaxWaitTimeWithNoAgent:            dur(q.MaxWaitTimeWithNoAgent),
		MaxWaitTimeWithNoAgentTimeReached: dur(q.MaxWaitTimeWithNoAgentTimeReached),
		ExitWithNoAvailableAgents:         q.ExitWithNoAvailableAgents, ExitKey: q.ExitKey,
		TimeoutTransferDst: q.TimeoutTransferDst, NoAgentTimeoutTransferDst: q.NoAgentTimeoutTransferDst,
		ExitTransferDst: q.ExitTransferDst, DiscardAbandonedAfter: dur(q.DiscardAbandonedAfter),
		AbandonedResumeAllowed: q.AbandonedResumeAllowed, AnnounceSound: q.AnnounceSound,
		AnnounceFrequency: dur(q.AnnounceFrequency), Sound: q.Sound, SoundType: q.SoundType,
		RecordEnabled: q.RecordEnabled, AgentAnnounceSound: q.AgentAnnounceSound, AgentReportWaitTime: q.AgentReportWaitTime,
		Attrs: q.Attrs,
	}
}

func queueFromPB(m *pb.Queue) acd.QueueConfig {
	return acd.QueueConfig{
		ID: m.GetId(), Strategy: acd.Strategy(m.GetStrategy()), RingProgressivelyDelay: fromDur(m.GetRingProgressivelyDelay()),
		TierRulesApply: m.GetTierRulesApply(), TierRuleWaitSecond: fromDur(m.GetTierRuleWaitSecond()),
		TierRuleWaitMultiplyLevel: m.GetTierRuleWaitMultiplyLevel(), TierRuleNoAgentNoWait: m.GetTierRuleNoAgentNoWait(),
		TimeBaseScore: acd.TimeBaseScore(m.GetTimeBaseScore()), MaxWaitTime: fromDur(m.GetMaxWaitTime()),
		MaxWaitTimeWithNoAgent:            fromDur(m.GetMaxWaitTimeWithNoAgent()),
		MaxWaitTimeWithNoAgentTimeReached: fromDur(m.GetMaxWaitTimeWithNoAgentTimeReached()),
		ExitWithNoAvailableAgents:         m.GetExitWithNoAvailableAgents(), ExitKey: m.GetExitKey(),
		TimeoutTransferDst: m.GetTimeoutTransferDst(), NoAgentTimeoutTransferDst: m.GetNoAgentTimeoutTransferDst(),
		ExitTransferDst: m.GetExitTransferDst(), DiscardAbandonedAfter: fromDur(m.GetDiscardAbandonedAfter()),
		AbandonedResumeAllowed: m.GetAbandonedResumeAllowed(), AnnounceSound: m.GetAnnounceSound(),
		AnnounceFrequency: fromDur(m.GetAnnounceFrequency()), Sound: m.GetSound(), SoundType: m.GetSoundType(),
		RecordEnabled: m.GetRecordEnabled(), AgentAnnounceSound: m.GetAgentAnnounceSound(), AgentReportWaitTime: m.GetAgentReportWaitTime(),
		Attrs: m.GetAttrs(),
	}
}

func queueStatusToPB(s acd.QueueStatus) *pb.QueueStatusReply {
	return &pb.QueueStatusReply{Queue: s.Queue, Answered: int64(s.Answered), Trying: int64(s.Trying), Waiting: int64(s.Waiting),
		LoggedIn: int64(s.LoggedIn), Free: int64(s.Free), Stats: &pb.QueueStats{Joined: int64(s.Stats.Joined),
			Answered: int64(s.Stats.Answered), Abandoned: int64(s.Stats.Abandoned), TimedOut: int64(s.Stats.TimedOut),
			Exited: int64(s.Stats.Exited)}}
}

func queueStatusFromPB(m *pb.QueueStatusReply) acd.QueueStatus {
	st := m.GetStats()
	return acd.QueueStatus{Queue: m.GetQueue(), Answered: int(m.GetAnswered()), Trying: int(m.GetTrying()),
		Waiting: int(m.GetWaiting()), LoggedIn: int(m.GetLoggedIn()), Free: int(m.GetFree()),
		Stats: acd.QueueStats{Joined: int(st.GetJoined()), Answered: int(st.GetAnswered()), Abandoned: int(st.GetAbandoned()),
			TimedOut: int(st.GetTimedOut()), Exited: int(st.GetExited())}}
}

func memberToPB(m acd.Member) *pb.Member {
	return &pb.Member{Caller: m.Caller, Joined: ts(m.Joined), Number: m.Number, Name: m.Name,
		ServingAgent: m.ServingAgent, State: m.State, WaitTime: dur(m.WaitTime)}
}

func memberFromPB(m *pb.Member) acd.Member {
	return acd.Member{Caller: m.GetCaller(), Joined: fromTS(m.GetJoined()), Number: m.GetNumber(), Name: m.GetName(),
		ServingAgent: m.GetServingAgent(), State: m.GetState(), WaitTime: fromDur(m.GetWaitTime())}
}

func agentToPB(a acd.AgentConfig) *pb.Agent {
	return &pb.Agent{Id: a.ID, Type: string(a.Type), Extension: a.Extension, Number: a.Number, Trunk: a.Trunk,
		Name: a.Name, CallTimeout: dur(a.CallTimeout), BusyDelayTime: dur(a.BusyDelayTime),
		NoAnswerDelayTime: dur(a.NoAnswerDelayTime), RejectDelayTime: dur(a.RejectDelayTime),
		WrapUpTime: dur(a.WrapUpTime), MaxNoAnswer: int64(a.MaxNoAnswer)}
}

func agentFromPB(m *pb.Agent) acd.AgentConfig {
	return acd.AgentConfig{ID: m.GetId(), Type: acd.AgentType(m.GetType()), Extension: m.GetExtension(),
		Number: m.GetNumber(), Trunk: m.GetTrunk(), Name: m.GetName(), CallTimeout: fromDur(m.GetCallTimeout()),
		BusyDelayTime: fromDur(m.GetBusyDelayTime()), NoAnswerDelayTime: fromDur(m.GetNoAnswerDelayTime()),
		RejectDelayTime: fromDur(m.GetRejectDelayTime()), WrapUpTime: fromDur(m.GetWrapUpTime()),
		MaxNoAnswer: int(m.GetMaxNoAnswer())}
}

func tierToPB(t acd.Tier) *pb.Tier {
	return &pb.Tier{Queue: t.Queue, Agent: t.Agent, Level: int64(t.Level), Position: int64(t.Position)}
}

func tierFromPB(m *pb.Tier) acd.Tier {
	return acd.Tier{Queue: m.GetQueue(), Agent: m.GetAgent(), Level: int(m.GetLevel()), Position: int(m.GetPosition())}
}

func tiersToPB(ts []acd.Tier) []*pb.Tier {
	out := make([]*pb.Tier, len(ts))
	for i, t := range ts {
		out[i] = tierToPB(t)
	}
	return out
}

func tiersFromPB(ms []*pb.Tier) []acd.Tier {
	if len(ms) == 0 {
		return nil
	}
	out := make([]acd.Tier, len(ms))
	for i, m := range ms {
		out[i] = tierFromPB(m)
	}
	return out
}

func agentInfoToPB(a acd.AgentInfo) *pb.AgentInfo {
	return &pb.AgentInfo{Config: agentToPB(a.Config), Status: string(a.Status), State: string(a.State),
		StatusSince: ts(a.StatusSince), StateSince: ts(a.StateSince), ReadyAt: ts(a.ReadyAt), Calls: int64(a.Calls),
		TalkTime: dur(a.TalkTime), LastBridgeEnd: ts(a.LastBridgeEnd), NoAnswerCount: int64(a.NoAnswerCount),
		Queues: tiersToPB(a.Queues), Caller: a.Caller}
}

func agentInfoFromPB(m *pb.AgentInfo) acd.AgentInfo {
	return acd.AgentInfo{Config: agentFromPB(m.GetConfig()), Status: acd.Status(m.GetStatus()), State: acd.State(m.GetState()),
		StatusSince: fromTS(m.GetStatusSince()), StateSince: fromTS(m.GetStateSince()), ReadyAt: fromTS(m.GetReadyAt()),
		Calls: int(m.GetCalls()), TalkTime: fromDur(m.GetTalkTime()), LastBridgeEnd: fromTS(m.GetLastBridgeEnd()),
		NoAnswerCount: int(m.GetNoAnswerCount()), Queues: tiersFromPB(m.GetQueues()), Caller: m.GetCaller()}
}

func objectToPB(o Object) *pb.Object {
	return &pb.Object{Kind: string(o.Kind), Id: o.ID, Spec: o.Spec, Status: o.Status}
}

func objectFromPB(m *pb.Object) Object {
	return Object{Kind: Kind(m.GetKind()), ID: m.GetId(), Spec: m.GetSpec(), Status: m.GetStatus()}
}

func contactToPB(c Contact) *pb.Contact {
	return &pb.Contact{Id: c.ID, Name: c.Name, Description: c.Description, Numbers: c.Numbers, Callback: c.Callback,
		Custom: c.Custom, Variables: c.Variables, NotBefore: ts(c.NotBefore), MaxTries: int64(c.MaxTries),
		RetryPause: dur(c.RetryPause), Attrs: c.Attrs, Status: c.Status, Tries: int64(c.Tries),
		CallerIdName: c.CallerIDName, CallerIdNumber: c.CallerIDNumber}
}

func contactFromPB(m *pb.Contact) Contact {
	return Contact{ID: m.GetId(), Name: m.GetName(), Description: m.GetDescription(), Numbers: m.GetNumbers(),
		Callback: m.GetCallback(), Custom: m.GetCustom(), Variables: m.GetVariables(), NotBefore: fromTS(m.GetNotBefore()),
		MaxTries: int(m.GetMaxTries()), RetryPause: fromDur(m.GetRetryPause()), Attrs: m.GetAttrs(),
		Status: m.GetStatus(), Tries: int(m.GetTries()), CallerIDName: m.GetCallerIdName(), CallerIDNumber: m.GetCallerIdNumber()}
}

func importResultToPB(r ImportResult) *pb.ImportResult {
	out := &pb.ImportResult{Accepted: int64(r.Accepted)}
	for _, rj := range r.Rejected {
		out.Rejected = append(out.Rejected, &pb.Rejection{Index: int64(rj.Index), Id: rj.ID, Raw: rj.Raw, Field: rj.Field, Reason: rj.Reason})
	}
	return out
}

func importResultFromPB(m *pb.ImportResult) ImportResult {
	out := ImportResult{Accepted: int(m.GetAccepted())}
	for _, rj := range m.GetRejected() {
		out.Rejected = append(out.Rejected, Rejection{Index: int(rj.GetIndex()), ID: rj.GetId(), Raw: rj.GetRaw(),
			Field: rj.GetField(), Reason: rj.GetReason()})
	}
	return out
}

func redialToPB(account, campaign string, r Redial) *pb.RedialContactRequest {
	return &pb.RedialContactRequest{Account: account, Campaign: campaign, Contact: r.Contact, Number: r.Number, At: ts(r.At)}
}

func redialFromPB(m *pb.RedialContactRequest) Redial {
	return Redial{Contact: m.GetContact(), Number: m.GetNumber(), At: fromTS(m.GetAt())}
}

func callToPB(c CallRecord) *pb.CallRecord {
	return &pb.CallRecord{Id: c.ID, Call: c.Call, Direction: c.Direction, Campaign: c.Campaign, Contact: c.Contact,
		Queue: c.Queue, Agent: c.Agent, Number: c.Number, CallerId: c.CallerID, Started: ts(c.Started),
		Answered: ts(c.Answered), Ended: ts(c.Ended), Outcome: c.Outcome, Cause: c.Cause, Recording: c.Recording, Attrs: c.Attrs}
}

func callFromPB(m *pb.CallRecord) CallRecord {
	return CallRecord{ID: m.GetId(), Call: m.GetCall(), Direction: m.GetDirection(), Campaign: m.GetCampaign(),
		Contact: m.GetContact(), Queue: m.GetQueue(), Agent: m.GetAgent(), Number: m.GetNumber(), CallerID: m.GetCallerId(),
		Started: fromTS(m.GetStarted()), Answered: fromTS(m.GetAnswered()), Ended: fromTS(m.GetEnded()),
		Outcome: m.GetOutcome(), Cause: m.GetCause(), Recording: m.GetRecording(), Attrs: m.GetAttrs()}
}

func listRequest(account, parent string, kind Kind, p Page) *pb.ListRequest {
	return &pb.ListRequest{Account: account, Parent: parent, Kind: string(kind), PageSize: int32(min(max(p.Size, 0), 1<<30)),
		PageToken: p.Token, Filter: p.Filter}
}

func pageFromPB(m *pb.ListRequest) Page {
	return Page{Size: int(m.GetPageSize()), Token: m.GetPageToken(), Filter: m.GetFilter()}
}
