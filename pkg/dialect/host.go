package dialect

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/acd"
)

// Host is the host API: what a dialect calls to act on the contact centre.
// The service implements it; a plugin reaches it over the go-plugin broker.
// Every call names the account (tenant) it acts for and sees only that
// account's objects. Errors are *FieldError for bad input and the Err*
// sentinels (ErrNotFound, ErrConflict, …), also across the wire.
//
// Inbound queues, agents and tiers use pkg/acd's types. Outbound objects
// (campaigns, trunks, time groups, redial policies) are generic [Object]s
// carrying the JSON of pkg/dialer's types, whose shape is still settling.
type Host interface {
	// Authenticate checks a request's credentials and returns its account,
	// or ErrUnauthenticated. The host keeps the secrets; the dialect says
	// where the request carried them (see Credentials).
	Authenticate(ctx context.Context, cred Credentials) (Account, error)
	// IssueToken mints a token for an account (ringme's OAuth access token,
	// twin24's authToken and refreshToken, udesk's open_api_token). It
	// authenticates later with the token or signature scheme and the same
	// kind, until it expires (a zero TTL: never).
	IssueToken(ctx context.Context, account string, req TokenRequest) (Token, error)

	// PutQueue creates or replaces a queue and returns it as stored. An
	// empty q.ID creates a queue with an id the host assigns (vendors'
	// numeric ids are the host's to choose); an id naming one of the
	// account's queues replaces it.
	PutQueue(ctx context.Context, account string, q acd.QueueConfig) (acd.QueueConfig, error)
	GetQueue(ctx context.Context, account, id string) (acd.QueueConfig, error)
	ListQueues(ctx context.Context, account string) ([]acd.QueueConfig, error)
	DeleteQueue(ctx context.Context, account, id string) error
	QueueStatus(ctx context.Context, account, id string) (acd.QueueStatus, error)
	// QueueMembers lists a queue's callers in service order.
	QueueMembers(ctx context.Context, account, id string) ([]acd.Member, error)
	// HangupCall hangs up a call in one of the account's queues (call is
	// the member's Caller as QueueMembers gives it), waiting or connected:
	// a connected call's agent is hung up too and wraps up. The call leaves
	// its queue with reason "removed". A call in none of the account's
	// queues may be a live leg of one of its campaigns' attempts (call is
	// the attempt.started call id: a callback's A leg, which is the
	// attempt id, or its B leg), ringing or talking: it is hung up with
	// the attempt's other leg, and the attempt finishes with reason
	// "hung_up_by_api". A call found in neither (gone, never there,
	// another account's) is ErrNotFound.
	HangupCall(ctx context.Context, account, call string) error
	// TransferCall moves a call in one of the account's queues to
	// destination (see CheckDestination), waiting or connected: a connected
	// call leaves its agent, who wraps up. The call leaves its queue with
	// reason "transferred". A bad destination is a *FieldError on
	// "destination". A campaign's live call, found as HangupCall finds it,
	// must be answered (a ringing one, or one in machine detection, is
	// ErrFailedPrecondition): it continues in the dialplan at destination,
	// the attempt's other leg is hung up, and the attempt finishes with
	// reason "transferred_by_api" when the call ends. A call found in
	// neither is ErrNotFound.
	TransferCall(ctx context.Context, account, call, destination string) error

	// PutAgent creates or replaces an agent and returns it as stored, with
	// the id the host assigns when a.ID is empty (as PutQueue).
	PutAgent(ctx context.Context, account string, a acd.AgentConfig) (acd.AgentConfig, error)
	GetAgent(ctx context.Context, account, id string) (acd.AgentInfo, error)
	ListAgents(ctx context.Context, account string) ([]acd.AgentInfo, error)
	DeleteAgent(ctx context.Context, account, id string, removeFromQueues bool) error
	// SetAgentStatus changes an agent's status; source says who did it (api, phone, supervisor).
	SetAgentStatus(ctx context.Context, account, agent string, status acd.Status, source string) error

	PutTier(ctx context.Context, account string, t acd.Tier) error
	DeleteTier(ctx context.Context, account, queue, agent string) error
	ListTiers(ctx context.Context, account, queue string) ([]acd.Tier, error)

	// PutObject creates or replaces an outbound object and returns it as stored.
	PutObject(ctx context.Context, account string, obj Object) (Object, error)
	GetObject(ctx context.Context, account string, kind Kind, id string) (Object, error)
	ListObjects(ctx context.Context, account string, kind Kind, page Page) (ObjectPage, error)
	DeleteObject(ctx context.Context, account string, kind Kind, id string) error
	// CampaignAction starts or stops a campaign and returns it.
	CampaignAction(ctx context.Context, account, campaign string, action CampaignAction) (Object, error)

	// ImportContacts adds contacts to a campaign, streamed: contacts is read
	// to its end (or its first error). Contacts that cannot be dialled are
	// listed in the result, not failed.
	ImportContacts(ctx context.Context, account, campaign string, contacts iter.Seq2[Contact, error]) (ImportResult, error)
	ListContacts(ctx context.Context, account, campaign string, page Page) (ContactPage, error)
	// RedialContact gives one number of a campaign's contact one more try
	// (udesk recall and follow_on): at r.At, or at once when r.At is zero.
	// A finished contact comes back for that one try; one waiting for a
	// redial (or not yet loaded) has it moved there, one queued for a try
	// (or on a call) gets this one after that. The due time is stored,
	// so it survives a restart of the host; a stopped campaign dials it once
	// started again. A number no contact of the campaign holds is
	// ErrNotFound (naming the number); a number that is not one of the named
	// contact's is a *FieldError on "number".
	RedialContact(ctx context.Context, account, campaign string, r Redial) error
	// CancelContact finishes a campaign's contact before its next try (no
	// more calls; its contact.finished has reason "cancelled"). The cancel
	// is stored, so a restart of the host does not dial it. An unknown
	// contact is ErrNotFound; one on a call (its try under way) or already
	// finished is ErrFailedPrecondition.
	CancelContact(ctx context.Context, account, campaign, contact string) error

	// PutSubscription creates or replaces a webhook subscription (the host
	// assigns an id when sub.ID is empty).
	PutSubscription(ctx context.Context, account string, sub Subscription) (Subscription, error)
	// ListSubscriptions pages through the account's subscriptions
	// (NextToken empty on the last page); the filter "campaign" narrows them
	// to one campaign's.
	ListSubscriptions(ctx context.Context, account string, page Page) (SubscriptionPage, error)
	DeleteSubscription(ctx context.Context, account, id string) error

	CallHistory(ctx context.Context, account string, q CallQuery) (CallPage, error)

	// Plugin state: small entries a dialect keeps in the host instead of
	// its own memory (used nonces, rate counts, bookkeeping of its own), so
	// a restart of the plugin or of the host forgets none of them. Entries
	// are scoped to the calling plugin and one account: no other plugin or
	// account sees them. A key is 1 to MaxStateKey bytes, a value at most
	// MaxStateValue bytes (a *FieldError on "key" or "value"). A TTL above
	// zero makes the entry expire that long after it was created; zero
	// keeps it until deleted; below zero is a *FieldError on "ttl". An
	// expired entry is gone for every call (the host sweeps it away later).
	// An entry holds a value (PutState) and a count (AddState), which are
	// independent: PutState keeps the count, AddState keeps the value.

	// PutState stores value at key, replacing the entry's value and its
	// expiry (now + ttl).
	PutState(ctx context.Context, account, key string, value []byte, ttl time.Duration) error
	// PutStateIfAbsent stores value at key only when no live entry is
	// there, atomically across concurrent callers, and reports whether it
	// stored (false: the key is taken). "Use this nonce once within ttl" is
	// one call.
	PutStateIfAbsent(ctx context.Context, account, key string, value []byte, ttl time.Duration) (bool, error)
	// GetState returns the value at key; no live entry is ErrNotFound. An
	// entry with only a count has an empty value.
	GetState(ctx context.Context, account, key string) ([]byte, error)
	// DeleteState removes the entry at key; removing nothing is no error.
	DeleteState(ctx context.Context, account, key string) error
	// AddState adds delta to the count at key atomically and returns the
	// new count (delta 0 reads it). A key with no live entry starts at 0
	// and expires ttl from now; an existing entry keeps its expiry, so a
	// key per window (client + hour) counts a fixed window.
	AddState(ctx context.Context, account, key string, delta int64, ttl time.Duration) (int64, error)
	// ListState pages through the account's live entries whose keys start
	// with prefix ("" for all), ordered by key (bytewise). pageToken is ""
	// for the first page, else a page's NextToken (empty on the last page).
	// limit is 1 to MaxStateList entries a page, 0 for DefaultStateList; a
	// larger one is MaxStateList, a negative one a *FieldError on "limit",
	// a prefix longer than MaxStateKey one on "prefix".
	ListState(ctx context.Context, account, prefix, pageToken string, limit int) (StatePage, error)
}

// StateEntry is one live plugin state entry (see Host.ListState).
type StateEntry struct {
	Key   string
	Value []byte
	Count int64
}

// StatePage is one page of ListState; NextToken is empty on the last page.
type StatePage struct {
	Entries   []StateEntry
	NextToken string
}

// Limits of plugin state entries (see Host.PutState).
const (
	MaxStateKey   = 256
	MaxStateValue = 64 << 10
	// DefaultStateList and MaxStateList size a ListState page.
	DefaultStateList = 100
	MaxStateList     = 1000
)

// CheckStateList checks a ListState call's prefix, page token and limit as
// every host does, and returns the page size to use. A page token is the
// last key of the page before, so it starts with prefix.
func CheckStateList(prefix, pageToken string, limit int) (int, error) {
	switch {
	case len(prefix) > MaxStateKey:
		return 0, &FieldError{Field: "prefix", Reason: fmt.Sprintf("must be at most %d bytes", MaxStateKey)}
	case pageToken != "" && (len(pageToken) > MaxStateKey || !strings.HasPrefix(pageToken, prefix)):
		return 0, &FieldError{Field: "page_token", Value: pageToken, Reason: "is not a page token of this listing"}
	case limit < 0:
		return 0, &FieldError{Field: "limit", Value: strconv.Itoa(limit), Reason: "must not be negative"}
	case limit == 0:
		return DefaultStateList, nil
	}
	return min(limit, MaxStateList), nil
}

// CheckState checks a state call's key, value and ttl as every host does,
// returning a *FieldError naming the first bad one.
func CheckState(key string, value []byte, ttl time.Duration) error {
	switch {
	case key == "" || len(key) > MaxStateKey:
		return &FieldError{Field: "key", Reason: fmt.Sprintf("must be 1-%d bytes", MaxStateKey)}
	case len(value) > MaxStateValue:
		return &FieldError{Field: "value", Reason: fmt.Sprintf("must be at most %d bytes (got %d)", MaxStateValue, len(value))}
	case ttl < 0:
		return &FieldError{Field: "ttl", Value: ttl.String(), Reason: "must not be negative"}
	}
	return nil
}

// Credentials are what a request presented, as the dialect read them. The
// host checks them against the accounts of the calling dialect only.
type Credentials struct {
	// Scheme is one of the Cred* schemes.
	Scheme string
	// Principal finds the account: a client_id, an email, a token's lookup
	// key. Empty for CredToken.
	Principal string
	// Secret is the password, the token, or the signature to check.
	Secret string
	// Kind is the token kind for CredToken and CredSignature (the kind it was
	// issued with); empty means the account's provisioned credential.
	Kind string
	// Params: for CredSignature, "message" is the signed text with the
	// placeholder {secret} where the secret goes, and "algorithm" is sha256,
	// sha1, hmac-sha256 or hmac-sha1 (lowercase hex). The dialect knows its
	// vendor's formula; the secret never leaves the host.
	Params map[string]string
}

// Credential schemes a host understands.
const (
	// CredPassword: Principal and Secret are the account's provisioned
	// credential (ringme client_id/client_secret, twin24 and udesk
	// email/password).
	CredPassword = "password"
	// CredToken: Secret is a token: one from IssueToken (with Kind), or the
	// provisioned one (zxycall's "key.secret", Kind empty).
	CredToken = "token"
	// CredSignature: Secret is a signature over Params["message"] made with
	// the principal's secret: its token of Kind, or its provisioned
	// credential when Kind is empty.
	CredSignature = "signature"
)

// TokenRequest asks for a token.
type TokenRequest struct {
	// Kind names the token's use (access, refresh, api).
	Kind string
	// TTL is how long it is valid; zero: until the account's credentials rotate.
	TTL time.Duration
}

// Token is an issued token.
type Token struct {
	Value     string
	Kind      string
	ExpiresAt time.Time // zero: no expiry
}

// Account is a tenant.
type Account struct {
	ID   string
	Name string
	// DefaultRegion parses phone numbers without a country code ("RU", "CN").
	DefaultRegion string
	Attrs         map[string]string
}

// Kind names an outbound object type.
type Kind string

// Object kinds; the spec is the JSON of the named pkg/dialer type.
const (
	KindCampaign     Kind = "campaign"      // dialer.Campaign
	KindTrunk        Kind = "trunk"         // dialer.Trunk
	KindTimeGroup    Kind = "time_group"    // dialer.TimeGroup
	KindRedialPolicy Kind = "redial_policy" // dialer.RedialPolicy, with an "id" field
)

// Kinds lists every object kind.
var Kinds = []Kind{KindCampaign, KindTrunk, KindTimeGroup, KindRedialPolicy}

// Object is an outbound object: its kind and id, its spec (JSON of the
// pkg/dialer type) and its status (read-only JSON the host adds, such as a
// campaign's state and statistics).
type Object struct {
	Kind   Kind
	ID     string
	Spec   json.RawMessage
	Status json.RawMessage
}

// Page asks for one page of a list. Filter holds exact-match filters the
// list supports.
type Page struct {
	Size   int
	Token  string
	Filter map[string]string
}

// ObjectPage is one page of objects; NextToken is empty on the last page.
type ObjectPage struct {
	Objects   []Object
	NextToken string
}

// SubscriptionPage is one page of subscriptions; NextToken is empty on
// the last page.
type SubscriptionPage struct {
	Subscriptions []Subscription
	NextToken     string
}

// CampaignAction is what CampaignAction does.
type CampaignAction string

// Campaign actions.
const (
	CampaignStart CampaignAction = "start"
	CampaignStop  CampaignAction = "stop"
)

// Contact is one entry of a campaign's list as a client sends it (the host
// normalises numbers in the account's or campaign's region).
type Contact struct {
	ID          string
	Name        string
	Description string
	// Numbers are tried in order within one try; the first is the main one.
	Numbers []string
	// Callback is a callback campaign's B number.
	Callback   string
	Custom     map[string]string
	Variables  map[string]string
	NotBefore  time.Time
	MaxTries   int
	RetryPause time.Duration
	// Attrs keeps vendor fields the core does not act on.
	Attrs map[string]string
	// CallerIDName and CallerIDNumber are presented on the contact's calls
	// (every leg) instead of the campaign's; either may be set alone, and
	// empty ones leave the campaign's. The number is an optional "+" and
	// digits, presented as given (dialer.Contact.CallerID).
	CallerIDName, CallerIDNumber string
	// Status and Tries are filled by the host when listing.
	Status string
	Tries  int
}

// Rejection says why one imported contact or number was not accepted.
type Rejection struct {
	Index  int // position in the import stream
	ID     string
	Raw    string
	Field  string
	Reason string
}

// ImportResult counts an import.
type ImportResult struct {
	Accepted int
	Rejected []Rejection
}

// Redial names the number RedialContact dials again, and when.
type Redial struct {
	// Contact is the contact's id; empty: the contact holding Number (its
	// main number first, then the contacts' other numbers in list order).
	Contact string
	// Number is the number to dial, in E.164 ("+8613223004567"). Empty
	// with Contact set: that contact's main number.
	Number string
	// At is when to dial; zero: a follow-on call, now.
	At time.Time
}

// ContactPage is one page of a campaign's contacts.
type ContactPage struct {
	Contacts  []Contact
	NextToken string
}

// CallQuery selects call records; empty fields match everything.
type CallQuery struct {
	Campaign, Contact, Queue, Agent string
	From, To                        time.Time
	Page                            Page
}

// CallRecord is one call: a dialled attempt or a queue call.
type CallRecord struct {
	ID        string
	Call      string
	Direction string // inbound or outbound
	Campaign  string
	Contact   string
	Queue     string
	Agent     string
	Number    string
	CallerID  string
	Started   time.Time
	Answered  time.Time
	Ended     time.Time
	Outcome   string
	Cause     string
	Recording string
	Attrs     map[string]string
}

// CallPage is one page of call records.
type CallPage struct {
	Calls     []CallRecord
	NextToken string
}
