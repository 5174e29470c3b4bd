package dialer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // callee-local windows need zones on machines without tzdata
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-cc/switchboard/pkg/telephony"
)

// Contact is one entry of a campaign's list: a person with one or more numbers.
type Contact struct {
	// ID is unique within the campaign (udesk number id, ringme task id).
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Numbers are dialled in order within a try: the first, then each
	// alternate if the previous fails (ringme extended_a_numbers, udesk
	// comma-separated cellphone).
	Numbers []Number `json:"numbers"`
	// Callback is the B number of a callback contact (ringme b_number).
	Callback *Number `json:"callback,omitempty"`
	// Custom holds up to 10 custom fields (udesk custom).
	Custom map[string]string `json:"custom,omitempty"`
	// Variables are passed to the call (twin24 scenario variables).
	Variables map[string]string `json:"variables,omitempty"`
	// CallerID overrides the campaign's on every leg of the contact's
	// calls (ringme callback_params): its Number replaces the number the
	// campaign's mode would choose, its Name the campaign's name. Mode is
	// empty or fixed; NewContact checks it.
	CallerID *CallerID `json:"caller_id,omitempty"`
	// NotBefore holds the contact until then (ringme start_time_utc).
	NotBefore time.Time `json:"not_before,omitzero"`
	// MaxTries and RetryPause override the campaign's redial policy (ringme
	// try_count, try_again_pause).
	MaxTries   int           `json:"max_tries,omitempty"`
	RetryPause time.Duration `json:"retry_pause,omitempty"`
	// Subscriptions are per-contact webhooks (ringme url_before, url_before_again,
	// url_success, url_after).
	Subscriptions []Subscription `json:"subscriptions,omitempty"`
	// Progress is the contact's history kept by storage, so that a restarted
	// service goes on where the previous one stopped; a ContactSource sets
	// it, clients never do.
	Progress *Progress `json:"-"`
}

// Progress is how far a contact got before a restart.
type Progress struct {
	// Tries is how many tries were started (an interrupted one included).
	Tries int
	// Redials counts the redials already used per outcome, FollowOns the follow-on calls.
	Redials   map[telephony.Outcome]int
	FollowOns int
	// Due is when the next try may start (a scheduled redial); zero: now.
	Due time.Time
	// Number is the number (E.164) the next try starts with, when a recall
	// asked for one of the contact's numbers; empty: its first.
	Number string
	// Once says the next try is the contact's only one: it had finished
	// and a recall brought it back for that try.
	Once bool
	// Interrupted says a try was under way when the service stopped: it
	// counts as a try that ended failed, and the redial rules decide what
	// follows.
	Interrupted bool
}

// Number is one phone number of a contact.
type Number struct {
	// Raw is the number as the client sent it; responses echo it.
	Raw string `json:"raw"`
	// E164 is the normalised number, "+79215650644".
	E164 string `json:"e164"`
	// Region is the number's region ("RU").
	Region string `json:"region,omitempty"`
	// Zones are the IANA zones the number's geography maps to (for callee-local windows).
	Zones []string `json:"zones,omitempty"`
}

// Rejection is why an input number or contact was not accepted.
type Rejection struct {
	Index  int    `json:"index"`
	Raw    string `json:"raw"`
	Reason string `json:"reason"`
}

// Rejection reasons.
const (
	ReasonInvalidNumber   = "invalid_number"
	ReasonDuplicate       = "duplicate"
	ReasonNoNumber        = "no_number"
	ReasonTooManyCustom   = "too_many_custom_fields"
	ReasonMissingID       = "missing_id"
	ReasonInvalidCallback = "invalid_callback_number"
)

func validRegion(r string) error {
	if r == "" {
		return &FieldError{Field: "default_region", Reason: "required (e.g. RU, CN)"}
	}
	if phonenumbers.GetCountryCodeForRegion(strings.ToUpper(r)) == 0 {
		return &FieldError{Field: "default_region", Value: r, Reason: "unknown region"}
	}
	return nil
}

// NormalizeNumber parses raw in defaultRegion and returns it in E.164 with its
// region and zones, or a *FieldError saying why it cannot be dialled.
func NormalizeNumber(raw, defaultRegion string) (Number, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Number{}, &FieldError{Field: "number", Reason: "empty"}
	}
	pn, err := phonenumbers.Parse(s, strings.ToUpper(defaultRegion))
	if err != nil {
		return Number{}, &FieldError{Field: "number", Value: raw, Reason: "not a phone number: " + err.Error()}
	}
	if !phonenumbers.IsValidNumber(pn) {
		return Number{}, &FieldError{Field: "number", Value: raw, Reason: "not a valid number for its region"}
	}
	n := Number{Raw: raw, E164: phonenumbers.Format(pn, phonenumbers.E164), Region: phonenumbers.GetRegionCodeForNumber(pn)}
	if zs, err := phonenumbers.GetTimezonesForNumber(pn); err == nil {
		for _, z := range zs {
			if z != phonenumbers.UNKNOWN_TIMEZONE {
				n.Zones = append(n.Zones, z)
			}
		}
	}
	return n, nil
}

// ContactInput is a contact as a client sends it, before normalisation.
type ContactInput struct {
	ID            string
	Name          string
	Description   string
	Numbers       []string // several, or one comma-separated string
	Callback      string
	Custom        map[string]string
	Variables     map[string]string
	CallerID      *CallerID
	NotBefore     time.Time
	MaxTries      int
	RetryPause    time.Duration
	Subscriptions []Subscription
}

// NewContact normalises in: every number is parsed in region, invalid ones are
// rejected with a reason (never dialled), duplicates within the contact are
// dropped. It fails with a *FieldError when nothing dialable is left.
func NewContact(in ContactInput, region string) (Contact, []Rejection, error) {
	if strings.TrimSpace(in.ID) == "" {
		return Contact{}, nil, &FieldError{Field: "id", Reason: "required"}
	}
	if len(in.Custom) > MaxCustomFields {
		return Contact{}, nil, &FieldError{Field: "custom", Value: fmt.Sprint(len(in.Custom)), Reason: "at most 10 custom fields"}
	}
	if in.MaxTries < 0 || in.MaxTries > MaxTries {
		return Contact{}, nil, &FieldError{Field: "max_tries", Value: fmt.Sprint(in.MaxTries), Reason: "must be 0–50"}
	}
	if in.RetryPause < 0 || in.RetryPause > MaxRetryPause {
		return Contact{}, nil, &FieldError{Field: "retry_pause", Value: in.RetryPause.String(), Reason: "must be 0–864000 s"}
	}
	cid, err := ContactCallerID(in.CallerID)
	if err != nil {
		return Contact{}, nil, err
	}
	c := Contact{
		ID: in.ID, Name: in.Name, Description: in.Description, Custom: in.Custom, Variables: in.Variables,
		CallerID: cid, NotBefore: in.NotBefore, MaxTries: in.MaxTries, RetryPause: in.RetryPause,
		Subscriptions: in.Subscriptions,
	}
	var rej []Rejection
	i := 0
	for _, field := range in.Numbers {
		for raw := range strings.SplitSeq(field, ",") {
			raw = strings.TrimSpace(raw)
			if raw == "" {
				continue
			}
			n, err := NormalizeNumber(raw, region)
			switch {
			case err != nil:
				rej = append(rej, Rejection{Index: i, Raw: raw, Reason: ReasonInvalidNumber})
			case slices.ContainsFunc(c.Numbers, func(m Number) bool { return m.E164 == n.E164 }):
				rej = append(rej, Rejection{Index: i, Raw: raw, Reason: ReasonDuplicate})
			default:
				c.Numbers = append(c.Numbers, n)
			}
			i++
		}
	}
	if len(c.Numbers) == 0 {
		return Contact{}, rej, &FieldError{Field: "numbers", Value: strings.Join(in.Numbers, ","), Reason: "no valid number"}
	}
	if in.Callback != "" {
		n, err := NormalizeNumber(in.Callback, region)
		if err != nil {
			return Contact{}, rej, &FieldError{Field: "callback", Value: in.Callback, Reason: err.(*FieldError).Reason}
		}
		c.Callback = &n
	}
	return c, rej, nil
}

// Limits of a contact's own caller ID.
const (
	MaxCallerIDNumber = 32 // digits, after an optional "+"
	MaxCallerIDName   = 80 // characters
)

// ContactCallerID checks a contact's caller ID and returns it as NewContact
// keeps it: a number (an optional "+"
// and digits, as the trunk is to present it: not normalised) and/or a name
// (no control characters, none of the `"<>` that delimit a caller ID
// string). Neither set is no override (nil).
func ContactCallerID(in *CallerID) (*CallerID, error) {
	if in == nil {
		return nil, nil
	}
	if in.Mode != "" && in.Mode != CallerIDFixed {
		return nil, &FieldError{Field: "caller_id.mode", Value: string(in.Mode), Reason: "a contact's caller ID is fixed (or empty)"}
	}
	if len(in.Numbers) > 0 || in.PoolID != "" {
		return nil, &FieldError{Field: "caller_id.numbers", Reason: "a contact's caller ID has one number, no pool"}
	}
	if in.Number != "" {
		digits := strings.TrimPrefix(in.Number, "+")
		if digits == "" || len(digits) > MaxCallerIDNumber || strings.Trim(digits, "0123456789") != "" {
			return nil, &FieldError{Field: "caller_id.number", Value: in.Number,
				Reason: fmt.Sprintf("must be 1–%d digits, optionally after +", MaxCallerIDNumber)}
		}
	}
	if in.Name != "" {
		if utf8.RuneCountInString(in.Name) > MaxCallerIDName || !utf8.ValidString(in.Name) ||
			strings.ContainsFunc(in.Name, func(r rune) bool { return unicode.IsControl(r) || strings.ContainsRune(`"<>`, r) }) {
			return nil, &FieldError{Field: "caller_id.name", Value: in.Name,
				Reason: fmt.Sprintf("must be valid UTF-8 of at most %d characters, without control characters or \" < >", MaxCallerIDName)}
		}
	}
	if in.Number == "" && in.Name == "" {
		return nil, nil
	}
	return &CallerID{Mode: CallerIDFixed, Name: in.Name, Number: in.Number}, nil
}

// validate checks a contact that claims to be normalised (e.g. from storage).
func (c Contact) validate(mode Mode) error {
	if c.ID == "" {
		return &FieldError{Field: "contact.id", Reason: "required"}
	}
	if len(c.Numbers) == 0 {
		return &FieldError{Field: "contact.numbers", Value: c.ID, Reason: "no number"}
	}
	for i, n := range c.Numbers {
		if !strings.HasPrefix(n.E164, "+") || len(n.E164) < 4 {
			return &FieldError{Field: fmt.Sprintf("contact.numbers[%d].e164", i), Value: n.E164, Reason: "not normalised; use NewContact"}
		}
	}
	if len(c.Custom) > MaxCustomFields {
		return &FieldError{Field: "contact.custom", Value: c.ID, Reason: "at most 10 custom fields"}
	}
	if mode == ModeCallback && c.Callback == nil {
		return &FieldError{Field: "contact.callback", Value: c.ID, Reason: "required in callback mode"}
	}
	return nil
}

// ContactSource gives a campaign's contacts in batches, in a stable order, so
// a campaign with millions of contacts never holds them all. Storage
// implements it; MemorySource is for tests and simulations.
type ContactSource interface {
	// NextContacts returns up to max contacts of campaign after cursor ("" for
	// the start) and the cursor to pass next time. An empty batch means the
	// list is exhausted for now.
	NextContacts(ctx context.Context, campaign, cursor string, max int) (batch []Contact, next string, err error)
}

// MemorySource is an in-memory ContactSource. It is not safe for concurrent
// use; its owner serialises calls.
type MemorySource struct {
	lists map[string]*memList
}

type memList struct {
	contacts []Contact
	ids      map[string]bool
	numbers  map[string]bool
}

// NewMemorySource returns an empty source.
func NewMemorySource() *MemorySource { return &MemorySource{lists: map[string]*memList{}} }

// Add appends contacts to campaign's list. A contact whose ID or first number
// is already in the list is rejected as a duplicate.
func (m *MemorySource) Add(campaign string, cs ...Contact) []Rejection {
	l := m.lists[campaign]
	if l == nil {
		l = &memList{ids: map[string]bool{}, numbers: map[string]bool{}}
		m.lists[campaign] = l
	}
	var rej []Rejection
	for i, c := range cs {
		if c.ID == "" {
			rej = append(rej, Rejection{Index: i, Reason: ReasonMissingID})
			continue
		}
		if len(c.Numbers) == 0 {
			rej = append(rej, Rejection{Index: i, Raw: c.ID, Reason: ReasonNoNumber})
			continue
		}
		if l.ids[c.ID] || l.numbers[c.Numbers[0].E164] {
			rej = append(rej, Rejection{Index: i, Raw: c.Numbers[0].Raw, Reason: ReasonDuplicate})
			continue
		}
		l.ids[c.ID] = true
		l.numbers[c.Numbers[0].E164] = true
		l.contacts = append(l.contacts, c)
	}
	return rej
}

// Len is the number of contacts in campaign's list.
func (m *MemorySource) Len(campaign string) int {
	if l := m.lists[campaign]; l != nil {
		return len(l.contacts)
	}
	return 0
}

// NextContacts implements ContactSource; the cursor is an offset.
func (m *MemorySource) NextContacts(_ context.Context, campaign, cursor string, max int) ([]Contact, string, error) {
	l := m.lists[campaign]
	if l == nil {
		return nil, cursor, nil
	}
	off := 0
	if cursor != "" {
		if _, err := fmt.Sscan(cursor, &off); err != nil || off < 0 {
			return nil, cursor, &FieldError{Field: "cursor", Value: cursor, Reason: "not an offset"}
		}
	}
	if off >= len(l.contacts) || max <= 0 {
		return nil, cursor, nil
	}
	end := min(len(l.contacts), off+max)
	return slices.Clone(l.contacts[off:end]), fmt.Sprint(end), nil
}
