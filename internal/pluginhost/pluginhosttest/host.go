// Package pluginhosttest is a dialect.Host for tests of the plugin host and
// of dialect plugins, until the service's storage implements the host API.
//
// Queues, agents, tiers, agent status, queue status and members are served by
// a real *acd.Engine per account. Everything else is a small in-memory store
// with no engine behind it: outbound objects (campaigns, trunks, time groups,
// redial policies) are stored as JSON with ids and refusals as the
// service's host gives them (time groups and redial policies checked as it
// checks them), and CampaignAction only flips a state;
// contacts are checked with phonenumbers and stored; RedialContact finds
// the contact as the service's host does, marks it delayed and keeps the
// redial for Redials (nothing is dialled); CancelContact marks it finished
// and keeps it for Cancelled; HangupCall and TransferCall take the caller
// out of the account's engine (the PBX side is not there: Releases lists
// the engine's hang-ups and transfers); subscriptions are
// stored and never delivered; call history holds what the test adds with
// AddCall; accounts and their credentials are a fixed table, tokens a map.
package pluginhosttest

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-cc/switchboard/internal/campaigns/specs"
	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// Credential is an account's provisioned credential: Principal and Password
// for the password scheme (and signatures without a token kind), Token for
// the token scheme without a kind.
type Credential struct {
	Account   dialect.Account
	Principal string
	Password  string
	Token     string
}

// Config configures a Host.
type Config struct {
	Credentials []Credential
	// BeforeCall, when set, runs at the start of every host API call with the
	// method's name; an error it returns is the call's result. Tests use it
	// to hold a request inside the host.
	BeforeCall func(ctx context.Context, method string) error
	// Now is the clock for token expiry; default time.Now.
	Now func() time.Time
}

// Host is an in-process host API: one acd.Engine per account plus maps.
type Host struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex // guards everything below
	engines map[string]*acd.Engine
	objects map[objKey]dialect.Object
	// contacts per account and campaign, in import order
	contacts map[[2]string][]dialect.Contact
	subs     map[string][]dialect.Subscription
	calls    map[string][]dialect.CallRecord
	tokens   map[string]issued // by value
	nextID   int

	// redials per account and campaign, in the order asked for
	redials map[[2]string][]dialect.Redial
	// cancelled contacts per account and campaign, in order
	cancelled map[[2]string][]string

	// releases: the HangupCaller and Transfer decisions of each account's
	// engine, in order. Their own lock: the engines' goroutines take it.
	relMu    sync.Mutex
	releases map[string][]acd.Decision

	// plugin state by account and key
	state map[[2]string]stateEntry
}

type issued struct {
	account string
	kind    string
	expires time.Time
}

type objKey struct {
	account string
	kind    dialect.Kind
	id      string
}

var _ dialect.Host = (*Host)(nil)

// New returns a Host; Close stops its engines.
func New(cfg Config) *Host {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Host{cfg: cfg, tokens: map[string]issued{}, ctx: ctx, cancel: cancel, engines: map[string]*acd.Engine{}, objects: map[objKey]dialect.Object{},
		contacts: map[[2]string][]dialect.Contact{}, redials: map[[2]string][]dialect.Redial{}, cancelled: map[[2]string][]string{}, releases: map[string][]acd.Decision{}, state: map[[2]string]stateEntry{}, subs: map[string][]dialect.Subscription{}, calls: map[string][]dialect.CallRecord{}}
}

// Close stops every engine and waits for them.
func (h *Host) Close() {
	h.cancel()
	h.wg.Wait()
}

func (h *Host) before(ctx context.Context, method, account string) error {
	if h.cfg.BeforeCall != nil {
		if err := h.cfg.BeforeCall(ctx, method); err != nil {
			return err
		}
	}
	if method != "Authenticate" && account == "" {
		return &dialect.FieldError{Field: "account", Reason: "is required"}
	}
	return nil
}

// Engine returns the account's ACD engine, starting it on first use. Tests
// use it to put callers in queues.
func (h *Host) Engine(account string) (*acd.Engine, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, ok := h.engines[account]; ok {
		return e, nil
	}
	e, err := acd.NewEngine(acd.EngineConfig{Core: acd.CoreConfig{Tenant: account},
		Decisions: acd.DecisionSinkFunc(func(ds []acd.Decision) { h.keepReleases(account, ds) })})
	if err != nil {
		return nil, fmt.Errorf("acd engine for %q: %w", account, err)
	}
	h.engines[account] = e
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		_ = e.Run(h.ctx)
	}()
	return e, nil
}

func (h *Host) do(ctx context.Context, method, account string, cmd acd.Command) error {
	if err := h.before(ctx, method, account); err != nil {
		return err
	}
	e, err := h.Engine(account)
	if err != nil {
		return err
	}
	return dialect.FromCore(e.Do(ctx, cmd))
}

func (h *Host) read(ctx context.Context, method, account string, f func(acd.View, time.Time) error) error {
	if err := h.before(ctx, method, account); err != nil {
		return err
	}
	e, err := h.Engine(account)
	if err != nil {
		return err
	}
	var ferr error
	if err := e.Read(ctx, func(v acd.View, now time.Time) { ferr = f(v, now) }); err != nil {
		return dialect.FromCore(err)
	}
	return dialect.FromCore(ferr)
}

// Authenticate checks credentials with the password, token and signature
// schemes of dialect.Credentials.
func (h *Host) Authenticate(ctx context.Context, cred dialect.Credentials) (dialect.Account, error) {
	if err := h.before(ctx, "Authenticate", ""); err != nil {
		return dialect.Account{}, err
	}
	fail := fmt.Errorf("scheme %q: bad credentials: %w", cred.Scheme, dialect.ErrUnauthenticated)
	if cred.Secret == "" {
		return dialect.Account{}, fail
	}
	switch cred.Scheme {
	case dialect.CredPassword:
		for _, c := range h.cfg.Credentials {
			if c.Principal != "" && c.Principal == cred.Principal && equal(c.Password, cred.Secret) {
				return c.Account, nil
			}
		}
	case dialect.CredToken:
		if cred.Kind == "" {
			for _, c := range h.cfg.Credentials {
				if c.Token != "" && equal(c.Token, cred.Secret) {
					return c.Account, nil
				}
			}
			break
		}
		h.mu.Lock()
		t, ok := h.tokens[cred.Secret]
		h.mu.Unlock()
		if ok && t.kind == cred.Kind && (t.expires.IsZero() || h.cfg.Now().Before(t.expires)) {
			return h.account(t.account), nil
		}
	case dialect.CredSignature:
		for _, c := range h.cfg.Credentials {
			if c.Principal == "" || c.Principal != cred.Principal {
				continue
			}
			for _, secret := range h.secrets(c, cred.Kind) {
				sig, err := sign(cred.Params["algorithm"], strings.ReplaceAll(cred.Params["message"], "{secret}", secret), secret)
				if err != nil {
					return dialect.Account{}, err
				}
				if equal(sig, strings.ToLower(cred.Secret)) {
					return c.Account, nil
				}
			}
		}
	default:
		return dialect.Account{}, &dialect.FieldError{Field: "scheme", Value: cred.Scheme, Reason: "must be password, token or signature"}
	}
	return dialect.Account{}, fail
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// secrets are what a signature of kind may have been made with.
func (h *Host) secrets(c Credential, kind string) []string {
	if kind == "" {
		return []string{c.Password}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	now := h.cfg.Now()
	for v, t := range h.tokens {
		if t.account == c.Account.ID && t.kind == kind && (t.expires.IsZero() || now.Before(t.expires)) {
			out = append(out, v)
		}
	}
	return out
}

func sign(algorithm, message, secret string) (string, error) {
	var sum []byte
	switch algorithm {
	case "sha256":
		s := sha256.Sum256([]byte(message))
		sum = s[:]
	case "sha1":
		s := sha1.Sum([]byte(message))
		sum = s[:]
	case "hmac-sha256", "hmac-sha1":
		f := sha256.New
		if algorithm == "hmac-sha1" {
			f = sha1.New
		}
		m := hmac.New(f, []byte(secret))
		m.Write([]byte(message))
		sum = m.Sum(nil)
	default:
		return "", &dialect.FieldError{Field: "params.algorithm", Value: algorithm, Reason: "must be sha256, sha1, hmac-sha256 or hmac-sha1"}
	}
	return hex.EncodeToString(sum), nil
}

func (h *Host) account(id string) dialect.Account {
	for _, c := range h.cfg.Credentials {
		if c.Account.ID == id {
			return c.Account
		}
	}
	return dialect.Account{ID: id}
}

// IssueToken mints a random token of req.Kind for account.
func (h *Host) IssueToken(ctx context.Context, account string, req dialect.TokenRequest) (dialect.Token, error) {
	if err := h.before(ctx, "IssueToken", account); err != nil {
		return dialect.Token{}, err
	}
	if req.Kind == "" {
		return dialect.Token{}, &dialect.FieldError{Field: "kind", Reason: "is required"}
	}
	if req.TTL < 0 {
		return dialect.Token{}, &dialect.FieldError{Field: "ttl", Value: req.TTL.String(), Reason: "must not be negative"}
	}
	var b [20]byte
	_, _ = rand.Read(b[:])
	t := dialect.Token{Value: hex.EncodeToString(b[:]), Kind: req.Kind}
	if req.TTL > 0 {
		t.ExpiresAt = h.cfg.Now().Add(req.TTL)
	}
	h.mu.Lock()
	h.tokens[t.Value] = issued{account: account, kind: req.Kind, expires: t.ExpiresAt}
	h.mu.Unlock()
	return t, nil
}

// PutQueue adds or reconfigures a queue; an empty id gets the next number.
func (h *Host) PutQueue(ctx context.Context, account string, q acd.QueueConfig) (acd.QueueConfig, error) {
	if q.ID == "" {
		q.ID = h.newID()
	}
	if err := q.Validate(); err != nil {
		return acd.QueueConfig{}, dialect.FromCore(err)
	}
	if err := h.do(ctx, "PutQueue", account, acd.AddQueue{Config: q}); err != nil {
		return acd.QueueConfig{}, err
	}
	return h.GetQueue(ctx, account, q.ID)
}

// newID returns the next number of a host-wide counter (an id a test chose
// itself as a number may collide with it).
func (h *Host) newID() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextID++
	return strconv.Itoa(h.nextID)
}

// GetQueue returns a queue's configuration.
func (h *Host) GetQueue(ctx context.Context, account, id string) (q acd.QueueConfig, err error) {
	err = h.read(ctx, "GetQueue", account, func(v acd.View, _ time.Time) (err error) { q, err = v.Queue(id); return })
	return q, err
}

// ListQueues lists the account's queues.
func (h *Host) ListQueues(ctx context.Context, account string) (qs []acd.QueueConfig, err error) {
	err = h.read(ctx, "ListQueues", account, func(v acd.View, _ time.Time) error {
		for _, id := range v.QueueIDs() {
			q, err := v.Queue(id)
			if err != nil {
				return err
			}
			qs = append(qs, q)
		}
		return nil
	})
	return qs, err
}

// DeleteQueue removes a queue.
func (h *Host) DeleteQueue(ctx context.Context, account, id string) error {
	return h.do(ctx, "DeleteQueue", account, acd.RemoveQueue{Queue: id})
}

// QueueStatus returns a queue's counters.
func (h *Host) QueueStatus(ctx context.Context, account, id string) (st acd.QueueStatus, err error) {
	err = h.read(ctx, "QueueStatus", account, func(v acd.View, _ time.Time) (err error) { st, err = v.QueueStatus(id); return })
	return st, err
}

// QueueMembers lists a queue's callers.
func (h *Host) QueueMembers(ctx context.Context, account, id string) (ms []acd.Member, err error) {
	err = h.read(ctx, "QueueMembers", account, func(v acd.View, now time.Time) (err error) { ms, err = v.Members(id, now); return })
	return ms, err
}

// PutAgent adds or reconfigures an agent; an empty id gets the next number.
func (h *Host) PutAgent(ctx context.Context, account string, a acd.AgentConfig) (acd.AgentConfig, error) {
	if a.ID == "" {
		a.ID = h.newID()
	}
	if err := a.Validate(); err != nil {
		return acd.AgentConfig{}, dialect.FromCore(err)
	}
	if err := h.do(ctx, "PutAgent", account, acd.AddAgent{Config: a}); err != nil {
		return acd.AgentConfig{}, err
	}
	info, err := h.GetAgent(ctx, account, a.ID)
	return info.Config, err
}

// GetAgent reports an agent.
func (h *Host) GetAgent(ctx context.Context, account, id string) (a acd.AgentInfo, err error) {
	err = h.read(ctx, "GetAgent", account, func(v acd.View, _ time.Time) (err error) { a, err = v.Agent(id); return })
	return a, err
}

// ListAgents reports every agent of the account.
func (h *Host) ListAgents(ctx context.Context, account string) (as []acd.AgentInfo, err error) {
	err = h.read(ctx, "ListAgents", account, func(v acd.View, _ time.Time) error {
		for _, id := range v.AgentIDs() {
			a, err := v.Agent(id)
			if err != nil {
				return err
			}
			as = append(as, a)
		}
		return nil
	})
	return as, err
}

// DeleteAgent removes an agent.
func (h *Host) DeleteAgent(ctx context.Context, account, id string, removeFromQueues bool) error {
	return h.do(ctx, "DeleteAgent", account, acd.RemoveAgent{Agent: id, RemoveFromQueues: removeFromQueues})
}

// SetAgentStatus changes an agent's status.
func (h *Host) SetAgentStatus(ctx context.Context, account, agent string, st acd.Status, source string) error {
	if _, err := acd.ParseStatus(string(st)); err != nil {
		return dialect.FromCore(err)
	}
	return h.do(ctx, "SetAgentStatus", account, acd.SetAgentStatus{Agent: agent, Status: st, Source: source})
}

// PutTier puts an agent in a queue.
func (h *Host) PutTier(ctx context.Context, account string, t acd.Tier) error {
	if err := t.Validate(); err != nil {
		return dialect.FromCore(err)
	}
	return h.do(ctx, "PutTier", account, acd.SetTier{Tier: t})
}

// DeleteTier takes an agent out of a queue.
func (h *Host) DeleteTier(ctx context.Context, account, queue, agent string) error {
	return h.do(ctx, "DeleteTier", account, acd.RemoveTier{Queue: queue, Agent: agent})
}

// ListTiers lists a queue's tiers.
func (h *Host) ListTiers(ctx context.Context, account, queue string) (ts []acd.Tier, err error) {
	err = h.read(ctx, "ListTiers", account, func(v acd.View, _ time.Time) (err error) { ts, err = v.Tiers(queue); return })
	return ts, err
}

func validKind(k dialect.Kind) error {
	if slices.Contains(dialect.Kinds, k) {
		return nil
	}
	return &dialect.FieldError{Field: "kind", Value: string(k), Reason: "unknown object kind"}
}

// fieldError turns the dialer's field errors into the host API's.
func fieldError(err error) error {
	var fe *dialer.FieldError
	if errors.As(err, &fe) {
		return &dialect.FieldError{Field: fe.Field, Value: fe.Value, Reason: fe.Reason}
	}
	return err
}

// typedSpec decodes and checks the spec of a time group or a redial policy
// as the service's host does (package specs); nil for other kinds.
func typedSpec(obj dialect.Object) (func(id string) any, error) {
	switch obj.Kind {
	case dialect.KindTimeGroup:
		var g dialer.TimeGroup
		if err := specs.Decode(obj.Spec, "a time group", &g); err != nil {
			return nil, fieldError(err)
		}
		if err := specs.CheckTimeGroup(g); err != nil {
			return nil, fieldError(err)
		}
		return func(id string) any { g.ID = id; return g }, nil
	case dialect.KindRedialPolicy:
		var p specs.RedialPolicy
		if err := specs.Decode(obj.Spec, "a redial policy", &p); err != nil {
			return nil, fieldError(err)
		}
		if err := specs.CheckRedialPolicy(&p.RedialPolicy); err != nil {
			return nil, fieldError(err)
		}
		return func(id string) any { p.ID = id; return p }, nil
	}
	return nil, nil
}

// campaignOn is what the host reads of a stored campaign's spec.
type campaignOn struct {
	Trunk  string `json:"trunk"`
	Pacing struct {
		MaxConcurrent int `json:"max_concurrent"`
	} `json:"pacing"`
}

// trunkUsers lists the account's campaigns on a trunk, by id; h.mu is held.
func (h *Host) trunkUsers(account, trunk string) map[string]campaignOn {
	out := map[string]campaignOn{}
	for k, o := range h.objects {
		var c campaignOn
		if k.account == account && k.kind == dialect.KindCampaign && json.Unmarshal(o.Spec, &c) == nil && c.Trunk == trunk {
			out[k.id] = c
		}
	}
	return out
}

// PutObject creates an object (an empty ID gets the next number) or
// replaces one of the account's (another id is not found), as the
// service's host does. The spec must be a JSON object; its "id" is set to
// the object's. Time groups and redial policies are checked as the
// service checks them and stored as decoded; campaigns and trunks are
// stored as given, except that a trunk's max_concurrent may not go below
// the pacing.max_concurrent of a campaign on it.
func (h *Host) PutObject(ctx context.Context, account string, obj dialect.Object) (dialect.Object, error) {
	if err := h.before(ctx, "PutObject", account); err != nil {
		return dialect.Object{}, err
	}
	if err := validKind(obj.Kind); err != nil {
		return dialect.Object{}, err
	}
	var spec map[string]any
	if err := json.Unmarshal(obj.Spec, &spec); err != nil {
		return dialect.Object{}, &dialect.FieldError{Field: "spec", Reason: "must be a JSON object: " + err.Error()}
	}
	typed, err := typedSpec(obj)
	if err != nil {
		return dialect.Object{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if obj.ID == "" {
		h.nextID++
		obj.ID = strconv.Itoa(h.nextID)
	} else if _, ok := h.objects[objKey{account, obj.Kind, obj.ID}]; !ok {
		return dialect.Object{}, fmt.Errorf("%s %q: %w", obj.Kind, obj.ID, dialect.ErrNotFound)
	}
	if obj.Kind == dialect.KindTrunk {
		limit, _ := spec["max_concurrent"].(float64)
		for id, c := range h.trunkUsers(account, obj.ID) {
			if limit > 0 && float64(c.Pacing.MaxConcurrent) > limit {
				return dialect.Object{}, &dialect.FieldError{Field: "trunk.max_concurrent", Value: fmt.Sprint(limit),
					Reason: fmt.Sprintf("campaign %s on this trunk dials up to %d calls", id, c.Pacing.MaxConcurrent)}
			}
		}
	}
	var out any = spec
	if typed != nil {
		out = typed(obj.ID)
	} else {
		spec["id"] = obj.ID
	}
	if obj.Spec, err = json.Marshal(out); err != nil {
		return dialect.Object{}, fmt.Errorf("encode %s: %w", obj.Kind, err)
	}
	k := objKey{account, obj.Kind, obj.ID}
	obj.Status = h.objects[k].Status
	if obj.Kind == dialect.KindCampaign && obj.Status == nil {
		obj.Status = json.RawMessage(`{"state":"created"}`)
	}
	h.objects[k] = obj
	return obj, nil
}

// GetObject returns a stored object.
func (h *Host) GetObject(ctx context.Context, account string, kind dialect.Kind, id string) (dialect.Object, error) {
	if err := h.before(ctx, "GetObject", account); err != nil {
		return dialect.Object{}, err
	}
	if err := validKind(kind); err != nil {
		return dialect.Object{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.objects[objKey{account, kind, id}]
	if !ok {
		return dialect.Object{}, fmt.Errorf("%s %q: %w", kind, id, dialect.ErrNotFound)
	}
	return o, nil
}

// page cuts a sorted list into the page asked for, with the service's
// host's sizes (0: 100, at most 1000); tokens are offsets.
func page[T any](all []T, p dialect.Page) ([]T, string, error) {
	off := 0
	if p.Token != "" {
		n, err := strconv.Atoi(p.Token)
		if err != nil || n < 0 || n > len(all) {
			return nil, "", &dialect.FieldError{Field: "page.token", Value: p.Token, Reason: "is not a token this list gave"}
		}
		off = n
	}
	size := p.Size
	switch {
	case size < 0 || size > 1000:
		return nil, "", &dialect.FieldError{Field: "page.size", Value: strconv.Itoa(size), Reason: "must be 0 (default 100) to 1000"}
	case size == 0:
		size = 100
	}
	end := min(off+size, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return all[off:end], next, nil
}

// ListObjects lists the account's objects of a kind, by id (in number
// order). Campaigns can be filtered by "state".
func (h *Host) ListObjects(ctx context.Context, account string, kind dialect.Kind, p dialect.Page) (dialect.ObjectPage, error) {
	if err := h.before(ctx, "ListObjects", account); err != nil {
		return dialect.ObjectPage{}, err
	}
	if err := validKind(kind); err != nil {
		return dialect.ObjectPage{}, err
	}
	for k := range p.Filter {
		if kind != dialect.KindCampaign || k != "state" {
			return dialect.ObjectPage{}, &dialect.FieldError{Field: "page.filter", Value: k, Reason: "not a filter of this list (campaigns: state)"}
		}
	}
	h.mu.Lock()
	var all []dialect.Object
	for k, o := range h.objects {
		if k.account != account || k.kind != kind {
			continue
		}
		if want, ok := p.Filter["state"]; ok {
			var st struct {
				State string `json:"state"`
			}
			if json.Unmarshal(o.Status, &st) != nil || st.State != want {
				continue
			}
		}
		all = append(all, o)
	}
	h.mu.Unlock()
	slices.SortFunc(all, func(a, b dialect.Object) int {
		return cmp.Or(cmp.Compare(len(a.ID), len(b.ID)), cmp.Compare(a.ID, b.ID))
	})
	objs, next, err := page(all, p)
	return dialect.ObjectPage{Objects: objs, NextToken: next}, err
}

// DeleteObject removes a stored object, as the service's host does: not a
// running campaign, nor a trunk a campaign uses (ErrFailedPrecondition).
func (h *Host) DeleteObject(ctx context.Context, account string, kind dialect.Kind, id string) error {
	if err := h.before(ctx, "DeleteObject", account); err != nil {
		return err
	}
	if err := validKind(kind); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	k := objKey{account, kind, id}
	o, ok := h.objects[k]
	if !ok {
		return fmt.Errorf("%s %q: %w", kind, id, dialect.ErrNotFound)
	}
	switch kind {
	case dialect.KindCampaign:
		var st struct {
			State string `json:"state"`
		}
		if json.Unmarshal(o.Status, &st) == nil && st.State == "running" {
			return fmt.Errorf("campaign %q is running: %w", id, dialect.ErrFailedPrecondition)
		}
	case dialect.KindTrunk:
		if users := h.trunkUsers(account, id); len(users) > 0 {
			ids := slices.Sorted(maps.Keys(users))
			return fmt.Errorf("trunk %q is used by campaign %s: %w", id, strings.Join(ids, ", "), dialect.ErrFailedPrecondition)
		}
	}
	delete(h.objects, k)
	return nil
}

// CampaignAction sets a stored campaign's state to running or stopped.
func (h *Host) CampaignAction(ctx context.Context, account, campaign string, action dialect.CampaignAction) (dialect.Object, error) {
	if err := h.before(ctx, "CampaignAction", account); err != nil {
		return dialect.Object{}, err
	}
	state := map[dialect.CampaignAction]string{dialect.CampaignStart: "running", dialect.CampaignStop: "stopped"}[action]
	if state == "" {
		return dialect.Object{}, &dialect.FieldError{Field: "action", Value: string(action), Reason: "must be start or stop"}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	k := objKey{account, dialect.KindCampaign, campaign}
	o, ok := h.objects[k]
	if !ok {
		return dialect.Object{}, fmt.Errorf("campaign %q: %w", campaign, dialect.ErrNotFound)
	}
	o.Status = json.RawMessage(`{"state":"` + state + `"}`)
	h.objects[k] = o
	return o, nil
}

func (h *Host) region(account string) string {
	for _, c := range h.cfg.Credentials {
		if c.Account.ID == account && c.Account.DefaultRegion != "" {
			return c.Account.DefaultRegion
		}
	}
	return "RU"
}

// ImportContacts appends contacts to a stored campaign, rejecting numbers
// phonenumbers cannot parse in the account's region, duplicate ids and, as
// the service's store does unless the campaign's spec has "dedupe_by":
// "id", duplicate main numbers.
func (h *Host) ImportContacts(ctx context.Context, account, campaign string, contacts iter.Seq2[dialect.Contact, error]) (dialect.ImportResult, error) {
	if err := h.before(ctx, "ImportContacts", account); err != nil {
		return dialect.ImportResult{}, err
	}
	obj, err := h.GetObject(ctx, account, dialect.KindCampaign, campaign)
	if err != nil {
		return dialect.ImportResult{}, err
	}
	var spec struct {
		DedupeBy string `json:"dedupe_by"`
	}
	_ = json.Unmarshal(obj.Spec, &spec)
	byNumber := spec.DedupeBy != "id"
	region := h.region(account)
	var (
		res      dialect.ImportResult
		accepted []dialect.Contact
		i        = -1
	)
	seen, seenNum := map[string]bool{}, map[string]bool{}
	h.mu.Lock()
	for _, c := range h.contacts[[2]string{account, campaign}] {
		seen[c.ID] = true
		if len(c.Numbers) > 0 {
			seenNum[e164(c.Numbers[0], region)] = true
		}
	}
	h.mu.Unlock()
	for c, err := range contacts {
		if err != nil {
			return dialect.ImportResult{}, err
		}
		i++
		if c.ID == "" || seen[c.ID] {
			res.Rejected = append(res.Rejected, dialect.Rejection{Index: i, ID: c.ID, Field: "id", Reason: "missing_or_duplicate"})
			continue
		}
		ok := len(c.Numbers) > 0
		for _, n := range c.Numbers {
			pn, err := phonenumbers.Parse(n, region)
			if err != nil || !phonenumbers.IsValidNumber(pn) {
				res.Rejected = append(res.Rejected, dialect.Rejection{Index: i, ID: c.ID, Raw: n, Field: "numbers", Reason: "invalid_number"})
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		main := e164(c.Numbers[0], region)
		if byNumber && seenNum[main] {
			res.Rejected = append(res.Rejected, dialect.Rejection{Index: i, ID: c.ID, Raw: c.Numbers[0], Reason: dialer.ReasonDuplicate})
			continue
		}
		seenNum[main] = true
		seen[c.ID] = true
		c.Status = "scheduled"
		accepted = append(accepted, c)
	}
	h.mu.Lock()
	key := [2]string{account, campaign}
	h.contacts[key] = append(h.contacts[key], accepted...)
	h.mu.Unlock()
	res.Accepted = len(accepted)
	return res, nil
}

// ListContacts pages through a campaign's contacts in import order.
func (h *Host) ListContacts(ctx context.Context, account, campaign string, p dialect.Page) (dialect.ContactPage, error) {
	if err := h.before(ctx, "ListContacts", account); err != nil {
		return dialect.ContactPage{}, err
	}
	h.mu.Lock()
	all := slices.Clone(h.contacts[[2]string{account, campaign}])
	h.mu.Unlock()
	cs, next, err := page(all, p)
	return dialect.ContactPage{Contacts: cs, NextToken: next}, err
}

// PutSubscription stores a subscription, giving it an id when it has none;
// a contact scope needs a campaign scope, as in the host.
func (h *Host) PutSubscription(ctx context.Context, account string, sub dialect.Subscription) (dialect.Subscription, error) {
	if err := h.before(ctx, "PutSubscription", account); err != nil {
		return dialect.Subscription{}, err
	}
	if !strings.HasPrefix(sub.URL, "http://") && !strings.HasPrefix(sub.URL, "https://") {
		return dialect.Subscription{}, &dialect.FieldError{Field: "url", Value: sub.URL, Reason: "must be an http(s) URL"}
	}
	if sub.Contact != "" && sub.Campaign == "" {
		return dialect.Subscription{}, &dialect.FieldError{Field: "contact", Value: sub.Contact, Reason: "needs a campaign scope"}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	sub.Account = account
	if sub.ID == "" {
		h.nextID++
		sub.ID = "sub-" + strconv.Itoa(h.nextID)
	}
	subs := h.subs[account]
	if i := slices.IndexFunc(subs, func(s dialect.Subscription) bool { return s.ID == sub.ID }); i >= 0 {
		subs[i] = sub
	} else {
		h.subs[account] = append(subs, sub)
	}
	return sub, nil
}

// ListSubscriptions lists the account's subscriptions (filter "campaign" narrows them).
func (h *Host) ListSubscriptions(ctx context.Context, account string, p dialect.Page) (dialect.SubscriptionPage, error) {
	if err := h.before(ctx, "ListSubscriptions", account); err != nil {
		return dialect.SubscriptionPage{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []dialect.Subscription
	for _, s := range h.subs[account] {
		if c, ok := p.Filter["campaign"]; !ok || s.Campaign == c {
			out = append(out, s)
		}
	}
	subs, next, err := page(out, p)
	if err != nil {
		return dialect.SubscriptionPage{}, err
	}
	return dialect.SubscriptionPage{Subscriptions: subs, NextToken: next}, nil
}

// DeleteSubscription removes a subscription.
func (h *Host) DeleteSubscription(ctx context.Context, account, id string) error {
	if err := h.before(ctx, "DeleteSubscription", account); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.subs[account]
	i := slices.IndexFunc(subs, func(s dialect.Subscription) bool { return s.ID == id })
	if i < 0 {
		return fmt.Errorf("subscription %q: %w", id, dialect.ErrNotFound)
	}
	h.subs[account] = slices.Delete(subs, i, i+1)
	return nil
}

// AddCall records a call for CallHistory.
func (h *Host) AddCall(account string, c dialect.CallRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls[account] = append(h.calls[account], c)
}

// CallHistory returns the recorded calls that match q, by start time.
func (h *Host) CallHistory(ctx context.Context, account string, q dialect.CallQuery) (dialect.CallPage, error) {
	if err := h.before(ctx, "CallHistory", account); err != nil {
		return dialect.CallPage{}, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return dialect.CallPage{}, &dialect.FieldError{Field: "to", Value: q.To.String(), Reason: "must not be before from"}
	}
	h.mu.Lock()
	var all []dialect.CallRecord
	for _, c := range h.calls[account] {
		if (q.Campaign == "" || c.Campaign == q.Campaign) && (q.Contact == "" || c.Contact == q.Contact) &&
			(q.Queue == "" || c.Queue == q.Queue) && (q.Agent == "" || c.Agent == q.Agent) &&
			(q.From.IsZero() || !c.Started.Before(q.From)) && (q.To.IsZero() || c.Started.Before(q.To)) {
			all = append(all, c)
		}
	}
	h.mu.Unlock()
	slices.SortStableFunc(all, func(a, b dialect.CallRecord) int { return a.Started.Compare(b.Started) })
	cs, next, err := page(all, q.Page)
	return dialect.CallPage{Calls: cs, NextToken: next}, err
}
