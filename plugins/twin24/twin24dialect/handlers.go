package twin24dialect

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strconv"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

const whatAutoCall = "autoCall"

func campaignObject(c dialer.Campaign, id string) (dialect.Object, error) {
	c.ID = id
	spec, err := json.Marshal(c)
	if err != nil {
		return dialect.Object{}, fmt.Errorf("encode campaign: %w", err)
	}
	return dialect.Object{Kind: dialect.KindCampaign, ID: id, Spec: spec}, nil
}

// createAutoCall stores the campaign, then one subscription per webhookUrls
// entry. A campaign with webhooks is stored not started, so that it emits
// nothing before they exist; once they do it gets its start (startType).
// A URL the host refuses removes what was created: 422 on webhookUrls[i].
func createAutoCall(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account) {
	req, _ := r.Context().Value(reqKey{}).(dialect.Request)
	in, errs := DecodeAutoCall(req.Body)
	if errs != nil {
		invalid(w, errs)
		return
	}
	c, errs := in.Campaign(CompanyOf(acct))
	if errs != nil {
		invalid(w, errs)
		return
	}
	start := c.Start
	if len(in.WebhookURLs) > 0 {
		c.Start = dialer.Start{Mode: dialer.StartManual}
	}
	obj, err := campaignObject(c, "")
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	stored, err := host.PutObject(r.Context(), acct.ID, obj)
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	if len(in.WebhookURLs) > 0 {
		if errs, err := hookUp(r.Context(), host, acct.ID, stored.ID, c, start, in.WebhookURLs); errs != nil || err != nil {
			if derr := host.DeleteObject(context.WithoutCancel(r.Context()), acct.ID, dialect.KindCampaign, stored.ID); derr != nil {
				err = errors.Join(err, fmt.Errorf("remove campaign %s: %w", stored.ID, derr))
			}
			if err != nil {
				hostFailed(w, err, whatAutoCall)
			} else {
				invalid(w, errs)
			}
			return
		}
	}
	writeJSON(w, http.StatusOK, struct {
		ID Identity `json:"id"`
	}{Identity{stored.ID}})
}

// hookUp creates a new campaign's subscriptions and then gives it its
// start. On failure the subscriptions are gone again (the caller removes
// the campaign).
func hookUp(ctx context.Context, host dialect.Host, account, id string, c dialer.Campaign, start dialer.Start, urls []string) (Errors, error) {
	hs, errs, err := syncHooks(ctx, host, account, id, nil, urls)
	if errs != nil || err != nil {
		return errs, err
	}
	if start.Mode == dialer.StartManual {
		return nil, nil
	}
	c.Start = start
	obj, err := campaignObject(c, id)
	if err == nil {
		_, err = host.PutObject(ctx, account, obj)
	}
	if err == nil && start.Mode == dialer.StartNow {
		_, err = host.CampaignAction(ctx, account, id, dialect.CampaignStart)
	}
	if err != nil {
		return nil, errors.Join(err, hs.undo(ctx))
	}
	return nil, nil
}

// campaignHooks lists one campaign's subscriptions.
func campaignHooks(ctx context.Context, host dialect.Host, account, id string) ([]dialect.Subscription, error) {
	hooks, err := hooksOf(ctx, host, account, id)
	if err != nil {
		return nil, err
	}
	return hooks[id], nil
}

func getAutoCall(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account) {
	obj, err := host.GetObject(r.Context(), acct.ID, dialect.KindCampaign, r.PathValue("id"))
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	writeView(w, r, host, obj, acct)
}

// writeView answers with a campaign as GET shows it, its webhookUrls read
// from the host.
func writeView(w http.ResponseWriter, r *http.Request, host dialect.Host, obj dialect.Object, acct dialect.Account) {
	hooks, err := campaignHooks(r.Context(), host, acct.ID, obj.ID)
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	v, err := viewOf(obj, CompanyOf(acct).Zone, urlsOf(hooks))
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// paging reads limit (1–1000, default 100) and offset, or page (from 1).
func paging(q map[string][]string) (limit, offset int, errs Errors) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	errs = Errors{}
	num := func(field string, lo, hi, def int) int {
		raw := get(field)
		if raw == "" {
			return def
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < lo || n > hi {
			errs.add(field, fmt.Sprintf("must be a whole number %d–%d", lo, hi))
			return def
		}
		return n
	}
	limit = num("limit", 1, maxLimit, defaultLimit)
	offset = num("offset", 0, 1<<30, 0)
	if page := num("page", 1, 1<<30/maxLimit, 0); page > 0 {
		if get("offset") != "" {
			errs.add("page", "give page or offset, not both")
		}
		offset = (page - 1) * limit
	}
	if len(errs) > 0 {
		return 0, 0, errs
	}
	return limit, offset, nil
}

// listPage is the reply of the list endpoints.
type listPage[T any] struct {
	Items  []T `json:"items"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// walk yields the items from offset on, following the host's opaque page tokens.
func walk[T any](fetch func(dialect.Page) ([]T, string, error), offset, limit int) ([]T, error) {
	out := []T{}
	token := ""
	skipped := 0
	for {
		items, next, err := fetch(dialect.Page{Size: maxLimit, Token: token})
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if skipped < offset {
				skipped++
				continue
			}
			out = append(out, it)
			if len(out) == limit {
				return out, nil
			}
		}
		if next == "" {
			return out, nil
		}
		token = next
	}
}

func listAutoCalls(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account) {
	limit, offset, errs := paging(r.URL.Query())
	if errs != nil {
		invalid(w, errs)
		return
	}
	objs, err := walk(func(p dialect.Page) ([]dialect.Object, string, error) {
		pg, err := host.ListObjects(r.Context(), acct.ID, dialect.KindCampaign, p)
		return pg.Objects, pg.NextToken, err
	}, offset, limit)
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	hooks := map[string][]dialect.Subscription{}
	if len(objs) > 0 {
		if hooks, err = hooksOf(r.Context(), host, acct.ID, ""); err != nil {
			hostFailed(w, err, whatAutoCall)
			return
		}
	}
	page := listPage[View]{Items: []View{}, Limit: limit, Offset: offset}
	zone := CompanyOf(acct).Zone
	for _, o := range objs {
		v, err := viewOf(o, zone, urlsOf(hooks[o.ID]))
		if err != nil {
			hostFailed(w, err, whatAutoCall)
			return
		}
		page.Items = append(page.Items, v)
	}
	writeJSON(w, http.StatusOK, page)
}

// patchAutoCall merges the body onto the campaign as GET shows it (objects
// merge field by field, anything else replaces), validates the whole and
// stores it. Its subscriptions change first (a refused URL changes
// nothing); they are put back if the campaign is refused, and the ones no
// longer wanted go once it is stored.
func patchAutoCall(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account) {
	req, _ := r.Context().Value(reqKey{}).(dialect.Request)
	var patch map[string]any
	if err := json.Unmarshal(req.Body, &patch); err != nil || patch == nil {
		invalid(w, Errors{"body": "must be a JSON object"})
		return
	}
	id := r.PathValue("id")
	obj, err := host.GetObject(r.Context(), acct.ID, dialect.KindCampaign, id)
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	hooks, err := campaignHooks(r.Context(), host, acct.ID, id)
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	co := CompanyOf(acct)
	v, err := viewOf(obj, co.Zone, urlsOf(hooks))
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	cur, err := json.Marshal(v)
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	var base map[string]any
	if err := json.Unmarshal(cur, &base); err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	delete(patch, "id")
	delete(patch, "status")
	merged, err := json.Marshal(merge(base, patch))
	if err != nil {
		invalid(w, Errors{"body": "cannot be merged"})
		return
	}
	in, errs := DecodeAutoCall(merged)
	if errs != nil {
		invalid(w, errs)
		return
	}
	c, errs := in.Campaign(co)
	if errs != nil {
		invalid(w, errs)
		return
	}
	hs, errs, err := syncHooks(r.Context(), host, acct.ID, id, hooks, in.WebhookURLs)
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	if errs != nil {
		invalid(w, errs)
		return
	}
	nobj, err := campaignObject(c, id)
	if err != nil {
		hostFailed(w, errors.Join(err, hs.undo(r.Context())), whatAutoCall)
		return
	}
	stored, err := host.PutObject(r.Context(), acct.ID, nobj)
	if err != nil {
		hostFailed(w, errors.Join(err, hs.undo(r.Context())), whatAutoCall)
		return
	}
	if err := hs.commit(r.Context()); err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	writeView(w, r, host, stored, acct)
}

func merge(base, patch map[string]any) map[string]any {
	for k, pv := range patch {
		if pm, ok := pv.(map[string]any); ok {
			if bm, ok := base[k].(map[string]any); ok {
				base[k] = merge(bm, pm)
				continue
			}
		}
		base[k] = pv
	}
	return base
}

// deleteAutoCall removes the campaign, then its subscriptions (a campaign
// that cannot go, running, keeps them).
func deleteAutoCall(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account) {
	id := r.PathValue("id")
	hooks, err := campaignHooks(r.Context(), host, acct.ID, id)
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	if err := host.DeleteObject(r.Context(), acct.ID, dialect.KindCampaign, id); err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	if err := deleteHooks(context.WithoutCancel(r.Context()), host, acct.ID, hooks); err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func action(a dialect.CampaignAction) func(http.ResponseWriter, *http.Request, dialect.Host, dialect.Account) {
	return func(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account) {
		obj, err := host.CampaignAction(r.Context(), acct.ID, r.PathValue("id"), a)
		if err != nil {
			hostFailed(w, err, whatAutoCall)
			return
		}
		writeView(w, r, host, obj, acct)
	}
}

// ContactIn is one number of POST /telephony/autoCall/{id}/contacts (ours:
// the seed does not describe it).
type ContactIn struct {
	ID        string            `json:"id"`
	Phone     *string           `json:"phone"`
	Variables map[string]string `json:"variables"`
}

// contactsBody is the body of POST …/contacts.
type contactsBody struct {
	Contacts []ContactIn `json:"contacts"`
}

// contactOut is a contact as the replies show it: the number as sent.
type contactOut struct {
	ID        string            `json:"id"`
	Phone     string            `json:"phone"`
	Variables map[string]string `json:"variables,omitempty"`
	Status    string            `json:"status,omitempty"`
	Tries     int               `json:"tries"`
}

type rejected struct {
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"`
	Phone  string `json:"phone"`
	Reason string `json:"reason"`
}

// imported is a contact an import accepted, with its number as sent.
type imported struct {
	ID        string            `json:"id"`
	Phone     string            `json:"phone"`
	Variables map[string]string `json:"variables,omitempty"`
}

type importReply struct {
	Accepted int        `json:"accepted"`
	Rejected []rejected `json:"rejected"`
	Contacts []imported `json:"contacts"`
}

// customPhone keeps the number as the client sent it (the host stores E.164).
const customPhone = "phone"

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// DecodeContacts reads the body of POST …/contacts, giving each contact an
// id when it has none.
func DecodeContacts(body []byte) ([]ContactIn, Errors) {
	var in contactsBody
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil {
		return nil, jsonErrors(err)
	}
	errs := Errors{}
	switch {
	case len(in.Contacts) == 0:
		errs.add("contacts", "is required: at least one number")
	case len(in.Contacts) > maxImportBatch:
		errs.add("contacts", fmt.Sprintf("at most %d numbers per request", maxImportBatch))
	}
	for i := range in.Contacts {
		c := &in.Contacts[i]
		if c.Phone == nil || *c.Phone == "" {
			errs.add(fmt.Sprintf("contacts[%d].phone", i), "is required")
		}
		if len(c.Variables) > 50 {
			errs.add(fmt.Sprintf("contacts[%d].variables", i), "at most 50 variables")
		}
		if c.ID == "" {
			c.ID = newID()
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return in.Contacts, nil
}

func addContacts(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account) {
	req, _ := r.Context().Value(reqKey{}).(dialect.Request)
	in, errs := DecodeContacts(req.Body)
	if errs != nil {
		invalid(w, errs)
		return
	}
	seq := func(yield func(dialect.Contact, error) bool) {
		for _, c := range in {
			if !yield(dialect.Contact{ID: c.ID, Numbers: []string{*c.Phone}, Variables: c.Variables,
				Custom: map[string]string{customPhone: *c.Phone}}, nil) {
				return
			}
		}
	}
	res, err := host.ImportContacts(r.Context(), acct.ID, r.PathValue("id"), iter.Seq2[dialect.Contact, error](seq))
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	out := importReply{Accepted: res.Accepted, Rejected: []rejected{}, Contacts: []imported{}}
	bad := map[int]bool{}
	for _, rj := range res.Rejected {
		if rj.Index < 0 || rj.Index >= len(in) {
			continue
		}
		bad[rj.Index] = true
		out.Rejected = append(out.Rejected, rejected{Index: rj.Index, ID: in[rj.Index].ID, Phone: *in[rj.Index].Phone, Reason: rj.Reason})
	}
	for i, c := range in {
		if !bad[i] {
			out.Contacts = append(out.Contacts, imported{ID: c.ID, Phone: *c.Phone, Variables: c.Variables})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func listContacts(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account) {
	limit, offset, errs := paging(r.URL.Query())
	if errs != nil {
		invalid(w, errs)
		return
	}
	id := r.PathValue("id")
	cs, err := walk(func(p dialect.Page) ([]dialect.Contact, string, error) {
		pg, err := host.ListContacts(r.Context(), acct.ID, id, p)
		return pg.Contacts, pg.NextToken, err
	}, offset, limit)
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	page := listPage[contactOut]{Items: []contactOut{}, Limit: limit, Offset: offset}
	for _, c := range cs {
		phone := c.Custom[customPhone]
		if phone == "" && len(c.Numbers) > 0 {
			phone = c.Numbers[0]
		}
		page.Items = append(page.Items, contactOut{ID: c.ID, Phone: phone, Variables: c.Variables, Status: c.Status, Tries: c.Tries})
	}
	writeJSON(w, http.StatusOK, page)
}

// Statistics is the reply of GET /telephony/autoCall/{id}/statistics (ours):
// the host's counts, outcomes by the seed's names.
type Statistics struct {
	ID       Identity       `json:"id"`
	Status   string         `json:"status"`
	Total    int            `json:"total"`
	Executed int            `json:"executed"`
	Done     int            `json:"done"`
	Percent  float64        `json:"percent"`
	Dialled  int            `json:"dialled"`
	Outcomes map[string]int `json:"outcomes"`
}

func statistics(w http.ResponseWriter, r *http.Request, host dialect.Host, acct dialect.Account) {
	obj, err := host.GetObject(r.Context(), acct.ID, dialect.KindCampaign, r.PathValue("id"))
	if err != nil {
		hostFailed(w, err, whatAutoCall)
		return
	}
	var st struct {
		State string       `json:"state"`
		Stats dialer.Stats `json:"stats"`
	}
	if len(obj.Status) > 0 {
		if err := json.Unmarshal(obj.Status, &st); err != nil {
			hostFailed(w, fmt.Errorf("decode campaign %s status: %w", obj.ID, err), whatAutoCall)
			return
		}
	}
	out := Statistics{ID: Identity{obj.ID}, Status: st.State, Total: st.Stats.Total, Executed: st.Stats.Executed,
		Done: st.Stats.Done, Percent: st.Stats.Percent, Dialled: st.Stats.Dialled, Outcomes: map[string]int{}}
	for _, name := range outcomeNames {
		out.Outcomes[name] = 0
	}
	for o, n := range st.Stats.Outcomes {
		out.Outcomes[outcomeName(string(o))] += n
	}
	writeJSON(w, http.StatusOK, out)
}
