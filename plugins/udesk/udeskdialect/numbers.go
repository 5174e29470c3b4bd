package udeskdialect

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// NumberEntry is one entry of add_numbers' numbers, echoed as sent in
// unsuccessful_numbers with its reason.
type NumberEntry struct {
	Cellphone   string          `json:"cellphone"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Custom      json.RawMessage `json:"custom,omitempty"`
	Reason      string          `json:"reason,omitempty"`
}

// numberInput is one checked entry.
type numberInput struct {
	entry   NumberEntry
	numbers []string
	custom  map[string]string
}

// addNumbersInput is an add_numbers body, checked; entries that cannot be
// imported carry their reason.
type addNumbersInput struct {
	id      string
	entries []numberInput
}

// parseAddNumbers decodes an add_numbers body. Bad entries are not errors:
// they come back in unsuccessful_numbers.
func parseAddNumbers(body []byte, region string) (addNumbersInput, *apiError) {
	var in addNumbersInput
	m, aerr := object(body, "id", "numbers")
	if aerr != nil {
		return in, aerr
	}
	id, given, err := integer(m, "id")
	if !given {
		return in, notFound("")
	}
	if err != nil || id <= 0 {
		return in, notFound(strings.Trim(string(m["id"]), `"`))
	}
	in.id = strconv.FormatInt(id, 10)
	raw, given := m["numbers"]
	if !given || isNull(raw) {
		return in, errf(http.StatusBadRequest, CodeUnknown, "Unknown error", "undefined method `size' for nil:NilClass")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return in, badParam("numbers", "must be an array of numbers")
	}
	if len(list) == 0 {
		return in, badParam("numbers", "is empty")
	}
	if len(list) > MaxImport {
		return in, badParam("numbers", "at most %d numbers per call (got %d)", MaxImport, len(list))
	}
	for _, r := range list {
		in.entries = append(in.entries, parseNumber(r, region))
	}
	return in, nil
}

func parseNumber(raw json.RawMessage, region string) numberInput {
	var n numberInput
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		n.entry.Reason = "not a number object"
		return n
	}
	fail := func(format string, args ...any) numberInput {
		n.entry.Reason = fmt.Sprintf(format, args...)
		return n
	}
	for k := range m {
		if !slices.Contains([]string{"cellphone", "name", "description", "custom"}, k) {
			return fail("unknown attribute: %s", k)
		}
	}
	var aerr *apiError
	for _, f := range []struct {
		key string
		to  *string
	}{{"cellphone", &n.entry.Cellphone}, {"name", &n.entry.Name}, {"description", &n.entry.Description}} {
		if *f.to, _, aerr = str(m, f.key); aerr != nil {
			return fail("%s must be a string", f.key)
		}
	}
	if c, ok := m["custom"]; ok && !isNull(c) {
		n.entry.Custom = c
		if err := json.Unmarshal(c, &n.custom); err != nil {
			return fail("custom must be an object of strings")
		}
		if len(n.custom) > MaxCustomFields {
			return fail("custom has %d fields; at most %d", len(n.custom), MaxCustomFields)
		}
	}
	for p := range strings.SplitSeq(n.entry.Cellphone, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pn, err := phonenumbers.Parse(p, region)
		if err != nil || !phonenumbers.IsValidNumber(pn) {
			return fail("invalid number: %s", p)
		}
		n.numbers = append(n.numbers, p)
	}
	if len(n.numbers) == 0 {
		return fail("cellphone is required")
	}
	return n
}

// ImportResult is add_numbers' answer.
type ImportResult struct {
	Code                int           `json:"code"`
	SuccessfulCount     int           `json:"successful_count"`
	UnsuccessfulCount   int           `json:"unsuccessful_count"`
	UnsuccessfulNumbers []NumberEntry `json:"unsuccessful_numbers"`
}

func addNumbers(ctx context.Context, t tenant, _ string, req dialect.Request) (dialect.Response, *apiError) {
	in, aerr := parseAddNumbers(req.Body, region(t.acct))
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	tk, aerr := t.task(ctx, in.id)
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	if tk.state == dialer.StateRunning || tk.state == dialer.StateStopping {
		return dialect.Response{}, errf(http.StatusConflict, CodeImportWhileOpen, "Cannot import numbers for a task that is starting",
			"task %s is open; close it to add numbers", tk.id)
	}
	if n := tk.customers() + len(in.entries); n > MaxTaskNumbers {
		return dialect.Response{}, badParam("numbers", "a task holds at most %d numbers (it would hold %d)", MaxTaskNumbers, n)
	}
	res := ImportResult{Code: CodeOK, UnsuccessfulNumbers: []NumberEntry{}}
	var sent []int // input index of each contact streamed to the host
	for i, e := range in.entries {
		if e.entry.Reason == "" {
			sent = append(sent, i)
		}
	}
	contacts := func(yield func(dialect.Contact, error) bool) {
		for _, i := range sent {
			e := in.entries[i]
			if !yield(dialect.Contact{ID: strings.Join(e.numbers, ","), Name: e.entry.Name, Description: e.entry.Description,
				Numbers: e.numbers, Custom: e.custom}, nil) {
				return
			}
		}
	}
	r, err := t.host.ImportContacts(ctx, t.acct.ID, tk.id, iter.Seq2[dialect.Contact, error](contacts))
	if err != nil {
		return dialect.Response{}, hostError(err, tk.id)
	}
	for _, rj := range r.Rejected {
		// A "numbers" rejection drops one number of a contact that was
		// imported (numbers were checked above); the contact counts as done.
		if rj.Field == "numbers" || rj.Index < 0 || rj.Index >= len(sent) {
			continue
		}
		e := &in.entries[sent[rj.Index]]
		if e.entry.Reason == "" {
			e.entry.Reason = rejectionReason(rj.Reason)
		}
	}
	for _, e := range in.entries {
		if e.entry.Reason != "" {
			res.UnsuccessfulNumbers = append(res.UnsuccessfulNumbers, e.entry)
		}
	}
	res.SuccessfulCount = r.Accepted
	res.UnsuccessfulCount = len(res.UnsuccessfulNumbers)
	return reply(http.StatusOK, res), nil
}

func rejectionReason(r string) string {
	switch {
	case strings.Contains(r, "duplicate"):
		return "duplicate number"
	case r == "":
		return "not imported"
	}
	return r
}

// MaxPoolPage is how many numbers GET /cc_ad_tasks/numbers returns at most.
const MaxPoolPage = 500

// PoolNumber is one number of a task's pool. Its id is the number's position
// in import order (1, 2, …): numbers are never removed, so it is stable.
type PoolNumber struct {
	ID                  int64  `json:"id"`
	Name                string `json:"name"`
	Cellphone           string `json:"cellphone"`
	Description         string `json:"description"`
	CallCount           int    `json:"call_count"`
	CustomerAnswerCount int    `json:"customer_answer_count"`
	AgentAnswerCount    int    `json:"agent_answer_count"`
}

// PoolMeta is the number pool's additional information.
type PoolMeta struct {
	RecordSize  int    `json:"record_size"`
	MaxNumberID *int64 `json:"max_number_id"`
}

func queryInt(q map[string][]string, key string) (int64, bool, error) {
	v := q[key]
	if len(v) == 0 || v[0] == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	return n, true, err
}

// numberPool answers GET /cc_ad_tasks/numbers?id&start_number_id.
func numberPool(ctx context.Context, t tenant, _ string, req dialect.Request) (dialect.Response, *apiError) {
	id, given, err := queryInt(req.Query, "id")
	if !given {
		return dialect.Response{}, notFound("")
	}
	if err != nil || id <= 0 {
		return dialect.Response{}, notFound(req.Query["id"][0])
	}
	start, _, err := queryInt(req.Query, "start_number_id")
	if err != nil || start < 0 {
		return dialect.Response{}, badParam("start_number_id", "must be a non-negative integer")
	}
	tk, aerr := t.task(ctx, strconv.FormatInt(id, 10))
	if aerr != nil {
		return dialect.Response{}, aerr
	}
	var (
		out   = []PoolNumber{}
		pos   int64
		token string
	)
	for len(out) < MaxPoolPage {
		page, err := t.host.ListContacts(ctx, t.acct.ID, tk.id, dialect.Page{Size: 1000, Token: token})
		if err != nil {
			return dialect.Response{}, hostError(err, tk.id)
		}
		for _, c := range page.Contacts {
			pos++
			if pos <= start || len(out) == MaxPoolPage {
				continue
			}
			out = append(out, PoolNumber{ID: pos, Name: c.Name, Cellphone: c.ID, Description: c.Description, CallCount: c.Tries})
		}
		if page.NextToken == "" {
			break
		}
		token = page.NextToken
	}
	if aerr := t.answerCounts(ctx, tk.id, out); aerr != nil {
		return dialect.Response{}, aerr
	}
	meta := PoolMeta{RecordSize: len(out)}
	if len(out) > 0 {
		meta.MaxNumberID = &out[len(out)-1].ID
	}
	return reply(http.StatusOK, struct {
		Code    int          `json:"code"`
		Numbers []PoolNumber `json:"numbers"`
		Meta    PoolMeta     `json:"meta"`
	}{CodeOK, out, meta}), nil
}

// answerCounts fills the answer counts of numbers from the task's call
// history: customer answers are answered attempts, agent answers those that
// reached an agent.
func (t tenant) answerCounts(ctx context.Context, campaign string, numbers []PoolNumber) *apiError {
	if len(numbers) == 0 {
		return nil
	}
	byContact := map[string]*PoolNumber{}
	for i := range numbers {
		byContact[numbers[i].Cellphone] = &numbers[i]
	}
	token := ""
	for {
		page, err := t.host.CallHistory(ctx, t.acct.ID, dialect.CallQuery{Campaign: campaign, Page: dialect.Page{Size: 1000, Token: token}})
		if err != nil {
			return hostError(err, campaign)
		}
		for _, c := range page.Calls {
			n := byContact[c.Contact]
			if n == nil || c.Answered.IsZero() {
				continue
			}
			n.CustomerAnswerCount++
			if c.Agent != "" {
				n.AgentAnswerCount++
			}
		}
		if page.NextToken == "" {
			return nil
		}
		token = page.NextToken
	}
}
