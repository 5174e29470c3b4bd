package dialect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"google.golang.org/grpc"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	pb "github.com/switchboard-cc/switchboard/pkg/dialect/dialectpb"
)

// importChunk is how many contacts one ImportContacts message carries.
const importChunk = 500

// HostGRPCClient is the plugin's side of the host API.
type HostGRPCClient struct {
	client pb.HostClient
}

var _ Host = (*HostGRPCClient)(nil)

// NewHostGRPCClient returns a Host that calls the host API over conn.
func NewHostGRPCClient(conn grpc.ClientConnInterface) *HostGRPCClient {
	return &HostGRPCClient{client: pb.NewHostClient(conn)}
}

// Authenticate calls the host's Authenticate.
func (c *HostGRPCClient) Authenticate(ctx context.Context, cred Credentials) (Account, error) {
	m, err := c.client.Authenticate(ctx, &pb.AuthenticateRequest{Scheme: cred.Scheme, Principal: cred.Principal, Secret: cred.Secret,
		Kind: cred.Kind, Params: cred.Params})
	if err != nil {
		return Account{}, fromStatus(err)
	}
	return accountFromPB(m), nil
}

// IssueToken calls the host's IssueToken.
func (c *HostGRPCClient) IssueToken(ctx context.Context, account string, req TokenRequest) (Token, error) {
	m, err := c.client.IssueToken(ctx, &pb.IssueTokenRequest{Account: account, Kind: req.Kind, Ttl: dur(req.TTL)})
	if err != nil {
		return Token{}, fromStatus(err)
	}
	return Token{Value: m.GetValue(), Kind: m.GetKind(), ExpiresAt: fromTS(m.GetExpiresAt())}, nil
}

// PutQueue calls the host's PutQueue.
func (c *HostGRPCClient) PutQueue(ctx context.Context, account string, q acd.QueueConfig) (acd.QueueConfig, error) {
	m, err := c.client.PutQueue(ctx, &pb.PutQueueRequest{Account: account, Queue: queueToPB(q)})
	if err != nil {
		return acd.QueueConfig{}, fromStatus(err)
	}
	return queueFromPB(m), nil
}

// GetQueue calls the host's GetQueue.
func (c *HostGRPCClient) GetQueue(ctx context.Context, account, id string) (acd.QueueConfig, error) {
	m, err := c.client.GetQueue(ctx, &pb.ByIDRequest{Account: account, Id: id})
	if err != nil {
		return acd.QueueConfig{}, fromStatus(err)
	}
	return queueFromPB(m), nil
}

// ListQueues calls the host's ListQueues.
func (c *HostGRPCClient) ListQueues(ctx context.Context, account string) ([]acd.QueueConfig, error) {
	m, err := c.client.ListQueues(ctx, &pb.ListRequest{Account: account})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]acd.QueueConfig, 0, len(m.GetQueues()))
	for _, q := range m.GetQueues() {
		out = append(out, queueFromPB(q))
	}
	return out, nil
}

// DeleteQueue calls the host's DeleteQueue.
func (c *HostGRPCClient) DeleteQueue(ctx context.Context, account, id string) error {
	_, err := c.client.DeleteQueue(ctx, &pb.ByIDRequest{Account: account, Id: id})
	return fromStatus(err)
}

// QueueStatus calls the host's QueueStatus.
func (c *HostGRPCClient) QueueStatus(ctx context.Context, account, id string) (acd.QueueStatus, error) {
	m, err := c.client.QueueStatus(ctx, &pb.ByIDRequest{Account: account, Id: id})
	if err != nil {
		return acd.QueueStatus{}, fromStatus(err)
	}
	return queueStatusFromPB(m), nil
}

// QueueMembers calls the host's QueueMembers.
func (c *HostGRPCClient) QueueMembers(ctx context.Context, account, id string) ([]acd.Member, error) {
	m, err := c.client.QueueMembers(ctx, &pb.ByIDRequest{Account: account, Id: id})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]acd.Member, 0, len(m.GetMembers()))
	for _, mb := range m.GetMembers() {
		out = append(out, memberFromPB(mb))
	}
	return out, nil
}

// HangupCall calls the host's HangupCall.
func (c *HostGRPCClient) HangupCall(ctx context.Context, account, call string) error {
	_, err := c.client.HangupCall(ctx, &pb.HangupCallRequest{Account: account, Call: call})
	return fromStatus(err)
}

// TransferCall calls the host's TransferCall.
func (c *HostGRPCClient) TransferCall(ctx context.Context, account, call, destination string) error {
	_, err := c.client.TransferCall(ctx, &pb.TransferCallRequest{Account: account, Call: call, Destination: destination})
	return fromStatus(err)
}

// PutAgent calls the host's PutAgent.
func (c *HostGRPCClient) PutAgent(ctx context.Context, account string, a acd.AgentConfig) (acd.AgentConfig, error) {
	m, err := c.client.PutAgent(ctx, &pb.PutAgentRequest{Account: account, Agent: agentToPB(a)})
	if err != nil {
		return acd.AgentConfig{}, fromStatus(err)
	}
	return agentFromPB(m), nil
}

// GetAgent calls the host's GetAgent.
func (c *HostGRPCClient) GetAgent(ctx context.Context, account, id string) (acd.AgentInfo, error) {
	m, err := c.client.GetAgent(ctx, &pb.ByIDRequest{Account: account, Id: id})
	if err != nil {
		return acd.AgentInfo{}, fromStatus(err)
	}
	return agentInfoFromPB(m), nil
}

// ListAgents calls the host's ListAgents.
func (c *HostGRPCClient) ListAgents(ctx context.Context, account string) ([]acd.AgentInfo, error) {
	m, err := c.client.ListAgents(ctx, &pb.ListRequest{Account: account})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]acd.AgentInfo, 0, len(m.GetAgents()))
	for _, a := range m.GetAgents() {
		out = append(out, agentInfoFromPB(a))
	}
	return out, nil
}

// DeleteAgent calls the host's DeleteAgent.
func (c *HostGRPCClient) DeleteAgent(ctx context.Context, account, id string, removeFromQueues bool) error {
	_, err := c.client.DeleteAgent(ctx, &pb.DeleteAgentRequest{Account: account, Id: id, RemoveFromQueues: removeFromQueues})
	return fromStatus(err)
}

// SetAgentStatus calls the host's SetAgentStatus.
func (c *HostGRPCClient) SetAgentStatus(ctx context.Context, account, agent string, st acd.Status, source string) error {
	_, err := c.client.SetAgentStatus(ctx, &pb.SetAgentStatusRequest{Account: account, Agent: agent, Status: string(st), Source: source})
	return fromStatus(err)
}

// PutTier calls the host's PutTier.
func (c *HostGRPCClient) PutTier(ctx context.Context, account string, t acd.Tier) error {
	_, err := c.client.PutTier(ctx, &pb.PutTierRequest{Account: account, Tier: tierToPB(t)})
	return fromStatus(err)
}

// DeleteTier calls the host's DeleteTier.
func (c *HostGRPCClient) DeleteTier(ctx context.Context, account, queue, agent string) error {
	_, err := c.client.DeleteTier(ctx, &pb.DeleteTierRequest{Account: account, Queue: queue, Agent: agent})
	return fromStatus(err)
}

// ListTiers calls the host's ListTiers.
func (c *HostGRPCClient) ListTiers(ctx context.Context, account, queue string) ([]acd.Tier, error) {
	m, err := c.client.ListTiers(ctx, &pb.ByIDRequest{Account: account, Id: queue})
	if err != nil {
		return nil, fromStatus(err)
	}
	return tiersFromPB(m.GetTiers()), nil
}

// PutObject calls the host's PutObject.
func (c *HostGRPCClient) PutObject(ctx context.Context, account string, obj Object) (Object, error) {
	m, err := c.client.PutObject(ctx, &pb.PutObjectRequest{Account: account, Object: objectToPB(obj)})
	if err != nil {
		return Object{}, fromStatus(err)
	}
	return objectFromPB(m), nil
}

// GetObject calls the host's GetObject.
func (c *HostGRPCClient) GetObject(ctx context.Context, account string, kind Kind, id string) (Object, error) {
	m, err := c.client.GetObject(ctx, &pb.ObjectRef{Account: account, Kind: string(kind), Id: id})
	if err != nil {
		return Object{}, fromStatus(err)
	}
	return objectFromPB(m), nil
}

// ListObjects calls the host's ListObjects.
func (c *HostGRPCClient) ListObjects(ctx context.Context, account string, kind Kind, page Page) (ObjectPage, error) {
	m, err := c.client.ListObjects(ctx, listRequest(account, "", kind, page))
	if err != nil {
		return ObjectPage{}, fromStatus(err)
	}
	out := ObjectPage{NextToken: m.GetNextPageToken(), Objects: make([]Object, 0, len(m.GetObjects()))}
	for _, o := range m.GetObjects() {
		out.Objects = append(out.Objects, objectFromPB(o))
	}
	return out, nil
}

// DeleteObject calls the host's DeleteObject.
func (c *HostGRPCClient) DeleteObject(ctx context.Context, account string, kind Kind, id string) error {
	_, err := c.client.DeleteObject(ctx, &pb.ObjectRef{Account: account, Kind: string(kind), Id: id})
	return fromStatus(err)
}

// CampaignAction calls the host's CampaignAction.
func (c *HostGRPCClient) CampaignAction(ctx context.Context, account, campaign string, action CampaignAction) (Object, error) {
	m, err := c.client.CampaignAction(ctx, &pb.CampaignActionRequest{Account: account, Id: campaign, Action: string(action)})
	if err != nil {
		return Object{}, fromStatus(err)
	}
	return objectFromPB(m), nil
}

// ImportContacts streams contacts to the host in chunks.
func (c *HostGRPCClient) ImportContacts(ctx context.Context, account, campaign string, contacts iter.Seq2[Contact, error]) (ImportResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // aborts the stream if we stop early
	stream, err := c.client.ImportContacts(ctx)
	if err != nil {
		return ImportResult{}, fromStatus(err)
	}
	chunk := &pb.ImportContactsChunk{Account: account, Campaign: campaign}
	send := func() error {
		if err := stream.Send(chunk); err != nil {
			if errors.Is(err, io.EOF) { // the host ended the stream; its reason comes from CloseAndRecv
				_, err = stream.CloseAndRecv()
			}
			return fromStatus(err)
		}
		chunk = &pb.ImportContactsChunk{}
		return nil
	}
	for ct, err := range contacts {
		if err != nil {
			return ImportResult{}, fmt.Errorf("import contacts: %w", err)
		}
		chunk.Contacts = append(chunk.Contacts, contactToPB(ct))
		if len(chunk.Contacts) == importChunk {
			if err := send(); err != nil {
				return ImportResult{}, err
			}
		}
	}
	if len(chunk.Contacts) > 0 || chunk.Account != "" {
		if err := send(); err != nil {
			return ImportResult{}, err
		}
	}
	m, err := stream.CloseAndRecv()
	if err != nil {
		return ImportResult{}, fromStatus(err)
	}
	return importResultFromPB(m), nil
}

// ListContacts calls the host's ListContacts.
func (c *HostGRPCClient) ListContacts(ctx context.Context, account, campaign string, page Page) (ContactPage, error) {
	m, err := c.client.ListContacts(ctx, listRequest(account, campaign, "", page))
	if err != nil {
		return ContactPage{}, fromStatus(err)
	}
	out := ContactPage{NextToken: m.GetNextPageToken(), Contacts: make([]Contact, 0, len(m.GetContacts()))}
	for _, ct := range m.GetContacts() {
		out.Contacts = append(out.Contacts, contactFromPB(ct))
	}
	return out, nil
}

// RedialContact calls the host's RedialContact.
func (c *HostGRPCClient) RedialContact(ctx context.Context, account, campaign string, r Redial) error {
	_, err := c.client.RedialContact(ctx, redialToPB(account, campaign, r))
	return fromStatus(err)
}

// CancelContact calls the host's CancelContact.
func (c *HostGRPCClient) CancelContact(ctx context.Context, account, campaign, contact string) error {
	_, err := c.client.CancelContact(ctx, &pb.CancelContactRequest{Account: account, Campaign: campaign, Contact: contact})
	return fromStatus(err)
}

// PutSubscription calls the host's PutSubscription.
func (c *HostGRPCClient) PutSubscription(ctx context.Context, account string, sub Subscription) (Subscription, error) {
	m, err := c.client.PutSubscription(ctx, &pb.PutSubscriptionRequest{Account: account, Subscription: subscriptionToPB(sub)})
	if err != nil {
		return Subscription{}, fromStatus(err)
	}
	return subscriptionFromPB(m), nil
}

// ListSubscriptions calls the host's ListSubscriptions.
func (c *HostGRPCClient) ListSubscriptions(ctx context.Context, account string, page Page) (SubscriptionPage, error) {
	m, err := c.client.ListSubscriptions(ctx, listRequest(account, "", "", page))
	if err != nil {
		return SubscriptionPage{}, fromStatus(err)
	}
	out := SubscriptionPage{NextToken: m.GetNextPageToken(), Subscriptions: make([]Subscription, 0, len(m.GetSubscriptions()))}
	for _, s := range m.GetSubscriptions() {
		out.Subscriptions = append(out.Subscriptions, subscriptionFromPB(s))
	}
	return out, nil
}

// DeleteSubscription calls the host's DeleteSubscription.
func (c *HostGRPCClient) DeleteSubscription(ctx context.Context, account, id string) error {
	_, err := c.client.DeleteSubscription(ctx, &pb.ByIDRequest{Account: account, Id: id})
	return fromStatus(err)
}

// CallHistory calls the host's CallHistory.
func (c *HostGRPCClient) CallHistory(ctx context.Context, account string, q CallQuery) (CallPage, error) {
	m, err := c.client.CallHistory(ctx, &pb.CallHistoryRequest{Account: account, Campaign: q.Campaign, Contact: q.Contact,
		Queue: q.Queue, Agent: q.Agent, From: ts(q.From), To: ts(q.To), PageSize: int32(min(max(q.Page.Size, 0), 1<<30)),
		PageToken: q.Page.Token})
	if err != nil {
		return CallPage{}, fromStatus(err)
	}
	out := CallPage{NextToken: m.GetNextPageToken(), Calls: make([]CallRecord, 0, len(m.GetCalls()))}
	for _, cr := range m.GetCalls() {
		out.Calls = append(out.Calls, callFromPB(cr))
	}
	return out, nil
}

// PutState calls the host's PutState.
func (c *HostGRPCClient) PutState(ctx context.Context, account, key string, value []byte, ttl time.Duration) error {
	_, err := c.client.PutState(ctx, &pb.PutStateRequest{Account: account, Key: key, Value: value, Ttl: dur(ttl)})
	return fromStatus(err)
}

// PutStateIfAbsent calls the host's PutState with if_absent.
func (c *HostGRPCClient) PutStateIfAbsent(ctx context.Context, account, key string, value []byte, ttl time.Duration) (bool, error) {
	m, err := c.client.PutState(ctx, &pb.PutStateRequest{Account: account, Key: key, Value: value, Ttl: dur(ttl), IfAbsent: true})
	if err != nil {
		return false, fromStatus(err)
	}
	return m.GetStored(), nil
}

// GetState calls the host's GetState.
func (c *HostGRPCClient) GetState(ctx context.Context, account, key string) ([]byte, error) {
	m, err := c.client.GetState(ctx, &pb.StateKey{Account: account, Key: key})
	if err != nil {
		return nil, fromStatus(err)
	}
	return m.GetValue(), nil
}

// DeleteState calls the host's DeleteState.
func (c *HostGRPCClient) DeleteState(ctx context.Context, account, key string) error {
	_, err := c.client.DeleteState(ctx, &pb.StateKey{Account: account, Key: key})
	return fromStatus(err)
}

// AddState calls the host's AddState.
func (c *HostGRPCClient) AddState(ctx context.Context, account, key string, delta int64, ttl time.Duration) (int64, error) {
	m, err := c.client.AddState(ctx, &pb.AddStateRequest{Account: account, Key: key, Delta: delta, Ttl: dur(ttl)})
	if err != nil {
		return 0, fromStatus(err)
	}
	return m.GetCount(), nil
}

// ListState calls the host's ListState.
func (c *HostGRPCClient) ListState(ctx context.Context, account, prefix, pageToken string, limit int) (StatePage, error) {
	m, err := c.client.ListState(ctx, &pb.ListStateRequest{Account: account, Prefix: prefix, PageToken: pageToken,
		Limit: int32(min(max(limit, -1), 1<<30))})
	if err != nil {
		return StatePage{}, fromStatus(err)
	}
	out := StatePage{NextToken: m.GetNextPageToken(), Entries: make([]StateEntry, 0, len(m.GetEntries()))}
	for _, e := range m.GetEntries() {
		out.Entries = append(out.Entries, StateEntry{Key: e.GetKey(), Value: nonNilBytes(e.GetValue()), Count: e.GetCount()})
	}
	return out, nil
}

// nonNilBytes is b, or empty for nil: an entry's value is never nil.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// HostGRPCServer serves a Host implementation to plugins.
type HostGRPCServer struct {
	pb.UnimplementedHostServer
	Impl Host
}

var empty = &pb.Empty{}

func done(err error) (*pb.Empty, error) {
	if err != nil {
		return nil, toStatus(err)
	}
	return empty, nil
}

// Authenticate serves Impl.Authenticate.
func (s *HostGRPCServer) Authenticate(ctx context.Context, m *pb.AuthenticateRequest) (*pb.Account, error) {
	a, err := s.Impl.Authenticate(ctx, Credentials{Scheme: m.GetScheme(), Principal: m.GetPrincipal(), Secret: m.GetSecret(),
		Kind: m.GetKind(), Params: m.GetParams()})
	if err != nil {
		return nil, toStatus(err)
	}
	return accountToPB(a), nil
}

// IssueToken serves Impl.IssueToken.
func (s *HostGRPCServer) IssueToken(ctx context.Context, m *pb.IssueTokenRequest) (*pb.Token, error) {
	t, err := s.Impl.IssueToken(ctx, m.GetAccount(), TokenRequest{Kind: m.GetKind(), TTL: fromDur(m.GetTtl())})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.Token{Value: t.Value, Kind: t.Kind, ExpiresAt: ts(t.ExpiresAt)}, nil
}

// PutQueue serves Impl.PutQueue.
func (s *HostGRPCServer) PutQueue(ctx context.Context, m *pb.PutQueueRequest) (*pb.Queue, error) {
	q, err := s.Impl.PutQueue(ctx, m.GetAccount(), queueFromPB(m.GetQueue()))
	if err != nil {
		return nil, toStatus(err)
	}
	return queueToPB(q), nil
}

// GetQueue serves Impl.GetQueue.
func (s *HostGRPCServer) GetQueue(ctx context.Context, m *pb.ByIDRequest) (*pb.Queue, error) {
	q, err := s.Impl.GetQueue(ctx, m.GetAccount(), m.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return queueToPB(q), nil
}

// ListQueues serves Impl.ListQueues.
func (s *HostGRPCServer) ListQueues(ctx context.Context, m *pb.ListRequest) (*pb.QueueList, error) {
	qs, err := s.Impl.ListQueues(ctx, m.GetAccount())
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.QueueList{Queues: make([]*pb.Queue, 0, len(qs))}
	for _, q := range qs {
		out.Queues = append(out.Queues, queueToPB(q))
	}
	return out, nil
}

// DeleteQueue serves Impl.DeleteQueue.
func (s *HostGRPCServer) DeleteQueue(ctx context.Context, m *pb.ByIDRequest) (*pb.Empty, error) {
	return done(s.Impl.DeleteQueue(ctx, m.GetAccount(), m.GetId()))
}

// QueueStatus serves Impl.QueueStatus.
func (s *HostGRPCServer) QueueStatus(ctx context.Context, m *pb.ByIDRequest) (*pb.QueueStatusReply, error) {
	st, err := s.Impl.QueueStatus(ctx, m.GetAccount(), m.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return queueStatusToPB(st), nil
}

// QueueMembers serves Impl.QueueMembers.
func (s *HostGRPCServer) QueueMembers(ctx context.Context, m *pb.ByIDRequest) (*pb.MemberList, error) {
	ms, err := s.Impl.QueueMembers(ctx, m.GetAccount(), m.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.MemberList{Members: make([]*pb.Member, 0, len(ms))}
	for _, mb := range ms {
		out.Members = append(out.Members, memberToPB(mb))
	}
	return out, nil
}

// HangupCall serves Impl.HangupCall.
func (s *HostGRPCServer) HangupCall(ctx context.Context, m *pb.HangupCallRequest) (*pb.Empty, error) {
	return done(s.Impl.HangupCall(ctx, m.GetAccount(), m.GetCall()))
}

// TransferCall serves Impl.TransferCall.
func (s *HostGRPCServer) TransferCall(ctx context.Context, m *pb.TransferCallRequest) (*pb.Empty, error) {
	return done(s.Impl.TransferCall(ctx, m.GetAccount(), m.GetCall(), m.GetDestination()))
}

// PutAgent serves Impl.PutAgent.
func (s *HostGRPCServer) PutAgent(ctx context.Context, m *pb.PutAgentRequest) (*pb.Agent, error) {
	a, err := s.Impl.PutAgent(ctx, m.GetAccount(), agentFromPB(m.GetAgent()))
	if err != nil {
		return nil, toStatus(err)
	}
	return agentToPB(a), nil
}

// GetAgent serves Impl.GetAgent.
func (s *HostGRPCServer) GetAgent(ctx context.Context, m *pb.ByIDRequest) (*pb.AgentInfo, error) {
	a, err := s.Impl.GetAgent(ctx, m.GetAccount(), m.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return agentInfoToPB(a), nil
}

// ListAgents serves Impl.ListAgents.
func (s *HostGRPCServer) ListAgents(ctx context.Context, m *pb.ListRequest) (*pb.AgentList, error) {
	as, err := s.Impl.ListAgents(ctx, m.GetAccount())
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.AgentList{Agents: make([]*pb.AgentInfo, 0, len(as))}
	for _, a := range as {
		out.Agents = append(out.Agents, agentInfoToPB(a))
	}
	return out, nil
}

// DeleteAgent serves Impl.DeleteAgent.
func (s *HostGRPCServer) DeleteAgent(ctx context.Context, m *pb.DeleteAgentRequest) (*pb.Empty, error) {
	return done(s.Impl.DeleteAgent(ctx, m.GetAccount(), m.GetId(), m.GetRemoveFromQueues()))
}

// SetAgentStatus serves Impl.SetAgentStatus.
func (s *HostGRPCServer) SetAgentStatus(ctx context.Context, m *pb.SetAgentStatusRequest) (*pb.Empty, error) {
	return done(s.Impl.SetAgentStatus(ctx, m.GetAccount(), m.GetAgent(), acd.Status(m.GetStatus()), m.GetSource()))
}

// PutTier serves Impl.PutTier.
func (s *HostGRPCServer) PutTier(ctx context.Context, m *pb.PutTierRequest) (*pb.Empty, error) {
	return done(s.Impl.PutTier(ctx, m.GetAccount(), tierFromPB(m.GetTier())))
}

// DeleteTier serves Impl.DeleteTier.
func (s *HostGRPCServer) DeleteTier(ctx context.Context, m *pb.DeleteTierRequest) (*pb.Empty, error) {
	return done(s.Impl.DeleteTier(ctx, m.GetAccount(), m.GetQueue(), m.GetAgent()))
}

// ListTiers serves Impl.ListTiers.
func (s *HostGRPCServer) ListTiers(ctx context.Context, m *pb.ByIDRequest) (*pb.TierList, error) {
	ts, err := s.Impl.ListTiers(ctx, m.GetAccount(), m.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.TierList{Tiers: tiersToPB(ts)}, nil
}

// PutObject serves Impl.PutObject.
func (s *HostGRPCServer) PutObject(ctx context.Context, m *pb.PutObjectRequest) (*pb.Object, error) {
	o, err := s.Impl.PutObject(ctx, m.GetAccount(), objectFromPB(m.GetObject()))
	if err != nil {
		return nil, toStatus(err)
	}
	return objectToPB(o), nil
}

// GetObject serves Impl.GetObject.
func (s *HostGRPCServer) GetObject(ctx context.Context, m *pb.ObjectRef) (*pb.Object, error) {
	o, err := s.Impl.GetObject(ctx, m.GetAccount(), Kind(m.GetKind()), m.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return objectToPB(o), nil
}

// ListObjects serves Impl.ListObjects.
func (s *HostGRPCServer) ListObjects(ctx context.Context, m *pb.ListRequest) (*pb.ObjectList, error) {
	p, err := s.Impl.ListObjects(ctx, m.GetAccount(), Kind(m.GetKind()), pageFromPB(m))
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ObjectList{NextPageToken: p.NextToken, Objects: make([]*pb.Object, 0, len(p.Objects))}
	for _, o := range p.Objects {
		out.Objects = append(out.Objects, objectToPB(o))
	}
	return out, nil
}

// DeleteObject serves Impl.DeleteObject.
func (s *HostGRPCServer) DeleteObject(ctx context.Context, m *pb.ObjectRef) (*pb.Empty, error) {
	return done(s.Impl.DeleteObject(ctx, m.GetAccount(), Kind(m.GetKind()), m.GetId()))
}

// CampaignAction serves Impl.CampaignAction.
func (s *HostGRPCServer) CampaignAction(ctx context.Context, m *pb.CampaignActionRequest) (*pb.Object, error) {
	o, err := s.Impl.CampaignAction(ctx, m.GetAccount(), m.GetId(), CampaignAction(m.GetAction()))
	if err != nil {
		return nil, toStatus(err)
	}
	return objectToPB(o), nil
}

// ImportContacts reads the stream as it comes and hands it to
// Impl.ImportContacts one contact at a time.
func (s *HostGRPCServer) ImportContacts(stream grpc.ClientStreamingServer[pb.ImportContactsChunk, pb.ImportResult]) error {
	first, err := stream.Recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return toStatus(&FieldError{Field: "account", Reason: "is required (empty import stream)"})
		}
		return err
	}
	account, campaign := first.GetAccount(), first.GetCampaign()
	contacts := func(yield func(Contact, error) bool) {
		for chunk := first; ; {
			for _, m := range chunk.GetContacts() {
				if !yield(contactFromPB(m), nil) {
					return
				}
			}
			next, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(Contact{}, fmt.Errorf("import stream: %w", fromStatus(err)))
				return
			}
			chunk = next
		}
	}
	res, err := s.Impl.ImportContacts(stream.Context(), account, campaign, contacts)
	if err != nil {
		return toStatus(err)
	}
	return stream.SendAndClose(importResultToPB(res))
}

// ListContacts serves Impl.ListContacts.
func (s *HostGRPCServer) ListContacts(ctx context.Context, m *pb.ListRequest) (*pb.ContactList, error) {
	p, err := s.Impl.ListContacts(ctx, m.GetAccount(), m.GetParent(), pageFromPB(m))
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ContactList{NextPageToken: p.NextToken, Contacts: make([]*pb.Contact, 0, len(p.Contacts))}
	for _, ct := range p.Contacts {
		out.Contacts = append(out.Contacts, contactToPB(ct))
	}
	return out, nil
}

// RedialContact serves Impl.RedialContact.
func (s *HostGRPCServer) RedialContact(ctx context.Context, m *pb.RedialContactRequest) (*pb.Empty, error) {
	return done(s.Impl.RedialContact(ctx, m.GetAccount(), m.GetCampaign(), redialFromPB(m)))
}

// CancelContact serves Impl.CancelContact.
func (s *HostGRPCServer) CancelContact(ctx context.Context, m *pb.CancelContactRequest) (*pb.Empty, error) {
	return done(s.Impl.CancelContact(ctx, m.GetAccount(), m.GetCampaign(), m.GetContact()))
}

// PutSubscription serves Impl.PutSubscription.
func (s *HostGRPCServer) PutSubscription(ctx context.Context, m *pb.PutSubscriptionRequest) (*pb.Subscription, error) {
	sub, err := s.Impl.PutSubscription(ctx, m.GetAccount(), subscriptionFromPB(m.GetSubscription()))
	if err != nil {
		return nil, toStatus(err)
	}
	return subscriptionToPB(sub), nil
}

// ListSubscriptions serves Impl.ListSubscriptions.
func (s *HostGRPCServer) ListSubscriptions(ctx context.Context, m *pb.ListRequest) (*pb.SubscriptionList, error) {
	p, err := s.Impl.ListSubscriptions(ctx, m.GetAccount(), pageFromPB(m))
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.SubscriptionList{NextPageToken: p.NextToken, Subscriptions: make([]*pb.Subscription, 0, len(p.Subscriptions))}
	for _, sub := range p.Subscriptions {
		out.Subscriptions = append(out.Subscriptions, subscriptionToPB(sub))
	}
	return out, nil
}

// DeleteSubscription serves Impl.DeleteSubscription.
func (s *HostGRPCServer) DeleteSubscription(ctx context.Context, m *pb.ByIDRequest) (*pb.Empty, error) {
	return done(s.Impl.DeleteSubscription(ctx, m.GetAccount(), m.GetId()))
}

// CallHistory serves Impl.CallHistory.
func (s *HostGRPCServer) CallHistory(ctx context.Context, m *pb.CallHistoryRequest) (*pb.CallList, error) {
	p, err := s.Impl.CallHistory(ctx, m.GetAccount(), CallQuery{Campaign: m.GetCampaign(), Contact: m.GetContact(),
		Queue: m.GetQueue(), Agent: m.GetAgent(), From: fromTS(m.GetFrom()), To: fromTS(m.GetTo()),
		Page: Page{Size: int(m.GetPageSize()), Token: m.GetPageToken()}})
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.CallList{NextPageToken: p.NextToken, Calls: make([]*pb.CallRecord, 0, len(p.Calls))}
	for _, cr := range p.Calls {
		out.Calls = append(out.Calls, callToPB(cr))
	}
	return out, nil
}

// PutState serves Impl.PutState, or Impl.PutStateIfAbsent with if_absent.
func (s *HostGRPCServer) PutState(ctx context.Context, m *pb.PutStateRequest) (*pb.PutStateReply, error) {
	if m.GetIfAbsent() {
		stored, err := s.Impl.PutStateIfAbsent(ctx, m.GetAccount(), m.GetKey(), m.GetValue(), fromDur(m.GetTtl()))
		if err != nil {
			return nil, toStatus(err)
		}
		return &pb.PutStateReply{Stored: stored}, nil
	}
	if err := s.Impl.PutState(ctx, m.GetAccount(), m.GetKey(), m.GetValue(), fromDur(m.GetTtl())); err != nil {
		return nil, toStatus(err)
	}
	return &pb.PutStateReply{Stored: true}, nil
}

// GetState serves Impl.GetState.
func (s *HostGRPCServer) GetState(ctx context.Context, m *pb.StateKey) (*pb.StateValue, error) {
	v, err := s.Impl.GetState(ctx, m.GetAccount(), m.GetKey())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.StateValue{Value: v}, nil
}

// DeleteState serves Impl.DeleteState.
func (s *HostGRPCServer) DeleteState(ctx context.Context, m *pb.StateKey) (*pb.Empty, error) {
	return done(s.Impl.DeleteState(ctx, m.GetAccount(), m.GetKey()))
}

// AddState serves Impl.AddState.
func (s *HostGRPCServer) AddState(ctx context.Context, m *pb.AddStateRequest) (*pb.StateCount, error) {
	n, err := s.Impl.AddState(ctx, m.GetAccount(), m.GetKey(), m.GetDelta(), fromDur(m.GetTtl()))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.StateCount{Count: n}, nil
}

// ListState serves Impl.ListState.
func (s *HostGRPCServer) ListState(ctx context.Context, m *pb.ListStateRequest) (*pb.StateList, error) {
	p, err := s.Impl.ListState(ctx, m.GetAccount(), m.GetPrefix(), m.GetPageToken(), int(m.GetLimit()))
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.StateList{NextPageToken: p.NextToken, Entries: make([]*pb.StateEntry, 0, len(p.Entries))}
	for _, e := range p.Entries {
		out.Entries = append(out.Entries, &pb.StateEntry{Key: e.Key, Value: e.Value, Count: e.Count})
	}
	return out, nil
}
