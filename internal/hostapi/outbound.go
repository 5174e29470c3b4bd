package hostapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/campaigns"
	"github.com/switchboard-cc/switchboard/internal/campaigns/specs"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// Page sizes of the list calls.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
	// importBatch is how many streamed contacts one import step stores.
	importBatch = 1000
)

func pageSize(p dialect.Page) (int, error) {
	switch {
	case p.Size < 0 || p.Size > maxPageSize:
		return 0, &dialect.FieldError{Field: "page.size", Value: strconv.Itoa(p.Size), Reason: fmt.Sprintf("must be 0 (default %d) to %d", defaultPageSize, maxPageSize)}
	case p.Size == 0:
		return defaultPageSize, nil
	}
	return p.Size, nil
}

// offsetPage cuts one page out of all; the token is the next offset.
func offsetPage[T any](all []T, p dialect.Page) ([]T, string, error) {
	size, err := pageSize(p)
	if err != nil {
		return nil, "", err
	}
	start := 0
	if p.Token != "" {
		if start, err = strconv.Atoi(p.Token); err != nil || start < 0 || start > len(all) {
			return nil, "", &dialect.FieldError{Field: "page.token", Value: p.Token, Reason: "is not a token this list gave"}
		}
	}
	end := min(start+size, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return all[start:end], next, nil
}

func spec(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode object: %w", err)
	}
	return b, nil
}

// campaignObject is a campaign with its state, statistics and contact counts.
func (h *Host) campaignObject(ctx context.Context, account string, id int64) (dialect.Object, error) {
	st, err := h.svc.cfg.Campaigns.Status(ctx, account, id)
	if err != nil {
		return dialect.Object{}, translate(err)
	}
	cfg := st.Campaign.Config
	cfg.ID, cfg.Tenant = store.ACDID(st.Campaign.ID), account
	sp, err := spec(cfg)
	if err != nil {
		return dialect.Object{}, err
	}
	status, err := spec(struct {
		State    dialer.State   `json:"state"`
		Stats    dialer.Stats   `json:"stats"`
		Contacts map[string]int `json:"contacts"`
	}{st.Campaign.State, st.Stats, st.Contacts})
	if err != nil {
		return dialect.Object{}, err
	}
	return dialect.Object{Kind: dialect.KindCampaign, ID: cfg.ID, Spec: sp, Status: status}, nil
}

func trunkObject(t store.Trunk) (dialect.Object, error) {
	cfg := t.Config
	cfg.ID = store.ACDID(t.ID)
	sp, err := spec(cfg)
	return dialect.Object{Kind: dialect.KindTrunk, ID: cfg.ID, Spec: sp}, err
}

func timeGroupObject(g store.TimeGroup) (dialect.Object, error) {
	cfg := g.Config
	cfg.ID = store.ACDID(g.ID)
	sp, err := spec(cfg)
	return dialect.Object{Kind: dialect.KindTimeGroup, ID: cfg.ID, Spec: sp}, err
}

func redialPolicyObject(p store.RedialPolicy) (dialect.Object, error) {
	id := store.ACDID(p.ID)
	sp, err := spec(specs.RedialPolicy{ID: id, Name: p.Name, RedialPolicy: p.Config})
	return dialect.Object{Kind: dialect.KindRedialPolicy, ID: id, Spec: sp}, err
}

// checkKind refuses unknown kinds.
func checkKind(k dialect.Kind) error {
	if slices.Contains(dialect.Kinds, k) {
		return nil
	}
	return &dialect.FieldError{Field: "kind", Value: string(k), Reason: "must be campaign, trunk, time_group or redial_policy"}
}

// decodeSpec reads an object's spec into v, in the host API's errors.
func decodeSpec(spec json.RawMessage, what string, v any) error {
	return translate(specs.Decode(spec, what, v))
}

// PutObject creates an object (empty ID: the store assigns the id) or
// replaces one. Replacing a trunk applies at once, also under running
// campaigns, but not below the concurrency of a campaign on it.
func (h *Host) PutObject(ctx context.Context, account string, obj dialect.Object) (dialect.Object, error) {
	if _, err := h.account(ctx, account); err != nil {
		return dialect.Object{}, err
	}
	if err := checkKind(obj.Kind); err != nil {
		return dialect.Object{}, err
	}
	var id int64
	if obj.ID != "" {
		var err error
		if id, err = parseID(string(obj.Kind), obj.ID); err != nil {
			return dialect.Object{}, err
		}
	}
	cs := h.svc.cfg.Campaigns
	switch obj.Kind {
	case dialect.KindTrunk:
		var t dialer.Trunk
		if err := decodeSpec(obj.Spec, "a trunk", &t); err != nil {
			return dialect.Object{}, err
		}
		var (
			stored store.Trunk
			err    error
		)
		if id == 0 {
			stored, err = cs.CreateTrunk(ctx, account, t)
		} else {
			stored, err = cs.UpdateTrunk(ctx, account, id, t)
		}
		if err != nil {
			return dialect.Object{}, translate(err)
		}
		return trunkObject(stored)
	case dialect.KindTimeGroup:
		var g dialer.TimeGroup
		if err := decodeSpec(obj.Spec, "a time group", &g); err != nil {
			return dialect.Object{}, err
		}
		var (
			stored store.TimeGroup
			err    error
		)
		if id == 0 {
			stored, err = cs.CreateTimeGroup(ctx, account, g)
		} else {
			stored, err = cs.UpdateTimeGroup(ctx, account, id, g)
		}
		if err != nil {
			return dialect.Object{}, translate(err)
		}
		return timeGroupObject(stored)
	case dialect.KindRedialPolicy:
		var p specs.RedialPolicy
		if err := decodeSpec(obj.Spec, "a redial policy", &p); err != nil {
			return dialect.Object{}, err
		}
		var (
			stored store.RedialPolicy
			err    error
		)
		if id == 0 {
			stored, err = cs.CreateRedialPolicy(ctx, account, p.Name, p.RedialPolicy)
		} else {
			stored, err = cs.UpdateRedialPolicy(ctx, account, id, p.Name, p.RedialPolicy)
		}
		if err != nil {
			return dialect.Object{}, translate(err)
		}
		return redialPolicyObject(stored)
	}
	var c dialer.Campaign
	if err := decodeSpec(obj.Spec, "a campaign", &c); err != nil {
		return dialect.Object{}, err
	}
	if id == 0 {
		stored, err := cs.CreateCampaign(ctx, account, c)
		if err != nil {
			return dialect.Object{}, translate(err)
		}
		return h.campaignObject(ctx, account, stored.ID)
	}
	stored, err := cs.Campaign(ctx, account, id)
	if err != nil {
		return dialect.Object{}, translate(err)
	}
	c.ID, c.Tenant = store.ACDID(id), account
	stored.Config, stored.Name = c, c.Name
	if _, err := cs.UpdateCampaign(ctx, stored); err != nil {
		return dialect.Object{}, translate(err)
	}
	return h.campaignObject(ctx, account, id)
}

// GetObject returns one of the account's objects.
func (h *Host) GetObject(ctx context.Context, account string, kind dialect.Kind, id string) (dialect.Object, error) {
	if _, err := h.account(ctx, account); err != nil {
		return dialect.Object{}, err
	}
	if err := checkKind(kind); err != nil {
		return dialect.Object{}, err
	}
	n, err := parseID(string(kind), id)
	if err != nil {
		return dialect.Object{}, err
	}
	cs := h.svc.cfg.Campaigns
	switch kind {
	case dialect.KindTrunk:
		t, err := h.svc.cfg.DB.Trunk(ctx, account, n)
		if err != nil {
			return dialect.Object{}, translate(err)
		}
		return trunkObject(t)
	case dialect.KindTimeGroup:
		g, err := cs.TimeGroup(ctx, account, n)
		if err != nil {
			return dialect.Object{}, translate(err)
		}
		return timeGroupObject(g)
	case dialect.KindRedialPolicy:
		p, err := cs.RedialPolicy(ctx, account, n)
		if err != nil {
			return dialect.Object{}, translate(err)
		}
		return redialPolicyObject(p)
	}
	return h.campaignObject(ctx, account, n)
}

// objects converts stored rows to objects.
func objects[T any](rows []T, err error, conv func(T) (dialect.Object, error)) ([]dialect.Object, error) {
	if err != nil {
		return nil, translate(err)
	}
	out := make([]dialect.Object, 0, len(rows))
	for _, r := range rows {
		o, err := conv(r)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// ListObjects pages through the account's objects of a kind, by id.
// Campaigns can be filtered by "state".
func (h *Host) ListObjects(ctx context.Context, account string, kind dialect.Kind, page dialect.Page) (dialect.ObjectPage, error) {
	if _, err := h.account(ctx, account); err != nil {
		return dialect.ObjectPage{}, err
	}
	if err := checkKind(kind); err != nil {
		return dialect.ObjectPage{}, err
	}
	for k := range page.Filter {
		if kind != dialect.KindCampaign || k != "state" {
			return dialect.ObjectPage{}, &dialect.FieldError{Field: "page.filter", Value: k, Reason: "not a filter of this list (campaigns: state)"}
		}
	}
	var (
		objs []dialect.Object
		err  error
	)
	cs := h.svc.cfg.Campaigns
	switch kind {
	case dialect.KindTrunk:
		ts, lerr := cs.Trunks(ctx, account)
		objs, err = objects(ts, lerr, trunkObject)
	case dialect.KindTimeGroup:
		gs, lerr := cs.TimeGroups(ctx, account)
		objs, err = objects(gs, lerr, timeGroupObject)
	case dialect.KindRedialPolicy:
		ps, lerr := cs.RedialPolicies(ctx, account)
		objs, err = objects(ps, lerr, redialPolicyObject)
	default:
		var all []store.Campaign
		if all, err = cs.Campaigns(ctx, account); err != nil {
			return dialect.ObjectPage{}, translate(err)
		}
		for _, c := range all {
			if state, ok := page.Filter["state"]; ok && string(c.State) != state {
				continue
			}
			objs = append(objs, dialect.Object{Kind: dialect.KindCampaign, ID: store.ACDID(c.ID)})
		}
	}
	if err != nil {
		return dialect.ObjectPage{}, err
	}
	out, next, err := offsetPage(objs, page)
	if err != nil {
		return dialect.ObjectPage{}, err
	}
	if kind == dialect.KindCampaign { // status only for the page's campaigns
		for i, o := range out {
			id, _ := store.ParseACDID(o.ID)
			if out[i], err = h.campaignObject(ctx, account, id); err != nil {
				return dialect.ObjectPage{}, err
			}
		}
	}
	return dialect.ObjectPage{Objects: out, NextToken: next}, nil
}

// DeleteObject removes one of the account's objects: a campaign that is not
// running, a trunk that no campaign uses (else ErrFailedPrecondition naming
// the campaigns), a time group or a redial policy (campaigns hold copies,
// so it is always possible).
func (h *Host) DeleteObject(ctx context.Context, account string, kind dialect.Kind, id string) error {
	if _, err := h.account(ctx, account); err != nil {
		return err
	}
	if err := checkKind(kind); err != nil {
		return err
	}
	n, err := parseID(string(kind), id)
	if err != nil {
		return err
	}
	cs := h.svc.cfg.Campaigns
	switch kind {
	case dialect.KindTrunk:
		err = cs.DeleteTrunk(ctx, account, n)
		if errors.Is(err, campaigns.ErrInUse) {
			return fmt.Errorf("%w: %w", dialect.ErrFailedPrecondition, err)
		}
	case dialect.KindTimeGroup:
		err = cs.DeleteTimeGroup(ctx, account, n)
	case dialect.KindRedialPolicy:
		err = cs.DeleteRedialPolicy(ctx, account, n)
	default:
		if err := cs.Delete(ctx, account, n); err != nil {
			return translate(err)
		}
		return h.dropSubscriptions(ctx, account, func(s store.Subscription) bool { return s.Campaign == id })
	}
	return translate(err)
}

// CampaignAction starts or stops a campaign and returns it.
func (h *Host) CampaignAction(ctx context.Context, account, campaign string, action dialect.CampaignAction) (dialect.Object, error) {
	if _, err := h.account(ctx, account); err != nil {
		return dialect.Object{}, err
	}
	n, err := parseID("campaign", campaign)
	if err != nil {
		return dialect.Object{}, err
	}
	switch action {
	case dialect.CampaignStart:
		err = h.svc.cfg.Campaigns.Start(ctx, account, n)
	case dialect.CampaignStop:
		err = h.svc.cfg.Campaigns.Stop(ctx, account, n)
	default:
		return dialect.Object{}, &dialect.FieldError{Field: "action", Value: string(action), Reason: "must be start or stop"}
	}
	if err != nil {
		return dialect.Object{}, translate(err)
	}
	return h.campaignObject(ctx, account, n)
}

func contactInput(c dialect.Contact) dialer.ContactInput {
	in := dialer.ContactInput{ID: c.ID, Name: c.Name, Description: c.Description, Numbers: c.Numbers, Callback: c.Callback,
		Custom: c.Custom, Variables: c.Variables, NotBefore: c.NotBefore, MaxTries: c.MaxTries, RetryPause: c.RetryPause}
	if c.CallerIDName != "" || c.CallerIDNumber != "" {
		in.CallerID = &dialer.CallerID{Name: c.CallerIDName, Number: c.CallerIDNumber}
	}
	return in
}

// ImportContacts stores a campaign's streamed contacts a batch at a time,
// with their own caller IDs. Contact Attrs are not stored (not backed yet);
// a contact whose caller ID is not one (dialer.NewContact) is rejected with
// the reason naming caller_id.number or caller_id.name.
func (h *Host) ImportContacts(ctx context.Context, account, campaign string, contacts iter.Seq2[dialect.Contact, error]) (dialect.ImportResult, error) {
	var res dialect.ImportResult
	if _, err := h.account(ctx, account); err != nil {
		return res, err
	}
	id, err := parseID("campaign", campaign)
	if err != nil {
		return res, err
	}
	if _, err := h.svc.cfg.Campaigns.Campaign(ctx, account, id); err != nil {
		return res, translate(err)
	}
	batch := make([]dialer.ContactInput, 0, importBatch)
	offset := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		r, err := h.svc.cfg.Campaigns.Import(ctx, account, id, batch)
		if err != nil {
			return translate(err)
		}
		res.Accepted += r.Imported
		for _, rj := range r.Rejected {
			res.Rejected = append(res.Rejected, dialect.Rejection{Index: offset + rj.Index, ID: batch[rj.Index].ID, Raw: rj.Raw, Reason: rj.Reason})
		}
		for _, rj := range r.DroppedNumbers {
			res.Rejected = append(res.Rejected, dialect.Rejection{Index: offset + rj.Index, ID: batch[rj.Index].ID, Raw: rj.Raw, Field: "numbers", Reason: rj.Reason})
		}
		offset += len(batch)
		batch = batch[:0]
		return nil
	}
	for c, err := range contacts {
		if err != nil {
			return res, err
		}
		batch = append(batch, contactInput(c))
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	return res, flush()
}

// ListContacts pages through a campaign's contacts in import order; the
// token is the last contact's sequence number.
func (h *Host) ListContacts(ctx context.Context, account, campaign string, page dialect.Page) (dialect.ContactPage, error) {
	if _, err := h.account(ctx, account); err != nil {
		return dialect.ContactPage{}, err
	}
	id, err := parseID("campaign", campaign)
	if err != nil {
		return dialect.ContactPage{}, err
	}
	if _, err := h.svc.cfg.Campaigns.Campaign(ctx, account, id); err != nil {
		return dialect.ContactPage{}, translate(err)
	}
	size, err := pageSize(page)
	if err != nil {
		return dialect.ContactPage{}, err
	}
	var after int64
	if page.Token != "" {
		if after, err = strconv.ParseInt(page.Token, 10, 64); err != nil || after < 0 {
			return dialect.ContactPage{}, &dialect.FieldError{Field: "page.token", Value: page.Token, Reason: "is not a token this list gave"}
		}
	}
	rows, err := h.svc.cfg.DB.Contacts(ctx, id, after, size+1)
	if err != nil {
		return dialect.ContactPage{}, translate(err)
	}
	var out dialect.ContactPage
	if len(rows) > size {
		rows = rows[:size]
		out.NextToken = strconv.FormatInt(rows[size-1].Seq, 10)
	}
	for _, r := range rows {
		out.Contacts = append(out.Contacts, contactOf(r))
	}
	return out, nil
}

func contactOf(r store.Contact) dialect.Contact {
	d := r.Data
	c := dialect.Contact{ID: r.ContactID, Name: d.Name, Description: d.Description, Custom: d.Custom, Variables: d.Variables,
		NotBefore: d.NotBefore, MaxTries: d.MaxTries, RetryPause: d.RetryPause, Status: r.Status, Tries: r.Tries}
	for _, n := range d.Numbers {
		c.Numbers = append(c.Numbers, n.E164)
	}
	if d.Callback != nil {
		c.Callback = d.Callback.E164
	}
	if d.CallerID != nil {
		c.CallerIDName, c.CallerIDNumber = d.CallerID.Name, d.CallerID.Number
	}
	return c
}

// CallHistory lists dialled attempts (of one campaign or all the
// account's), filtered and paged. Inbound queue calls are not recorded yet:
// a query by queue finds nothing.
func (h *Host) CallHistory(ctx context.Context, account string, q dialect.CallQuery) (dialect.CallPage, error) {
	if _, err := h.account(ctx, account); err != nil {
		return dialect.CallPage{}, err
	}
	var ids []int64
	if q.Campaign != "" {
		id, err := parseID("campaign", q.Campaign)
		if err != nil {
			return dialect.CallPage{}, err
		}
		ids = []int64{id}
	} else {
		cs, err := h.svc.cfg.Campaigns.Campaigns(ctx, account)
		if err != nil {
			return dialect.CallPage{}, translate(err)
		}
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
	}
	var all []dialect.CallRecord
	if q.Queue == "" {
		for _, id := range ids {
			as, err := h.svc.cfg.Campaigns.Attempts(ctx, account, id, q.Contact)
			if err != nil {
				return dialect.CallPage{}, translate(err)
			}
			for _, a := range as {
				if (q.Agent != "" && a.Agent != q.Agent) || (!q.From.IsZero() && a.StartedAt.Before(q.From)) || (!q.To.IsZero() && !a.StartedAt.Before(q.To)) {
					continue
				}
				all = append(all, callRecord(a))
			}
		}
	}
	calls, next, err := offsetPage(all, q.Page)
	if err != nil {
		return dialect.CallPage{}, err
	}
	return dialect.CallPage{Calls: calls, NextToken: next}, nil
}

func callRecord(a store.Attempt) dialect.CallRecord {
	return dialect.CallRecord{ID: a.ID, Call: a.Attempt, Direction: "outbound", Campaign: store.ACDID(a.CampaignID), Contact: a.ContactID,
		Agent: a.Agent, Number: a.Number, CallerID: a.CallerID, Started: a.StartedAt, Answered: a.AnsweredAt, Ended: a.EndedAt,
		Outcome: a.Outcome, Cause: a.Cause, Recording: a.Recording, Attrs: map[string]string{"leg": a.Leg, "try": strconv.Itoa(a.Try)}}
}
