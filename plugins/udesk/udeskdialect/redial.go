package udeskdialect

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// recall and follow_on are checked as Udesk does, then answered "not
// supported yet" (HTTP 501, code 2000): no host call can give a contact's
// number one more try. Importing the number again as a new contact (with
// NotBefore = after_at and MaxTries 1) does not work either: the host
// refuses a contact whose main number another contact of the campaign
// already has (a duplicate), and a pool entry's main number is exactly
// what recall asks for. README.md names the host call they need.

// redialInput is a checked recall or follow_on body.
type redialInput struct {
	task   string
	number string // as sent
	e164   string
	at     time.Time // recall's after_at
}

// parseRedial checks a recall or follow_on body the way Udesk reports its
// errors: unknown attributes (2000), the task (2005), the number (501032),
// then after_at (501033).
func parseRedial(ctx context.Context, t tenant, body []byte, numberKey string, withAfter bool) (redialInput, *apiError) {
	var in redialInput
	allowed := []string{"id", numberKey}
	if withAfter {
		allowed = append(allowed, "after_at")
	}
	m, aerr := object(body, allowed...)
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
	tk, aerr := t.task(ctx, strconv.FormatInt(id, 10))
	if aerr != nil {
		return in, aerr
	}
	in.task = tk.id
	number, _, aerr := str(m, numberKey)
	pn, perr := phonenumbers.Parse(number, region(t.acct))
	if aerr != nil || number == "" || perr != nil || !phonenumbers.IsValidNumber(pn) {
		return in, errf(http.StatusBadRequest, CodeBadNumber, "Invalid number", "%s %q is not a phone number", numberKey, number)
	}
	in.number, in.e164 = number, phonenumbers.Format(pn, phonenumbers.E164)
	if withAfter {
		at, _, aerr := str(m, "after_at")
		parsed, err := time.Parse(time.RFC3339, at)
		if aerr != nil || err != nil {
			return in, errf(http.StatusBadRequest, CodeBadAfterAt, "Incorrect redial start time format",
				"after_at %q is not YYYY-MM-DDTHH:MM:SSZ or with an offset", at)
		}
		in.at = parsed
	}
	return in, nil
}

// redialHandler answers recall (numberKey "number", with after_at) or
// follow_on ("called"): the body and the number's place in the task's
// pool are checked (501032 for a number the pool does not hold), then the
// answer is 501.
func redialHandler(numberKey string, withAfter bool) handler {
	return func(ctx context.Context, t tenant, _ string, req dialect.Request) (dialect.Response, *apiError) {
		in, aerr := parseRedial(ctx, t, req.Body, numberKey, withAfter)
		if aerr != nil {
			return dialect.Response{}, aerr
		}
		held, aerr := t.poolHolds(ctx, in.task, in.e164)
		if aerr != nil {
			return dialect.Response{}, aerr
		}
		if !held {
			return dialect.Response{}, errf(http.StatusBadRequest, CodeBadNumber, "Invalid number",
				"%s %s is not in the number pool of task %s", numberKey, in.number, in.task)
		}
		return dialect.Response{}, errf(http.StatusNotImplemented, CodeUnknown, "Unknown error",
			"not supported yet: %s (the host API has no call to redial a number of a task)", strings.TrimPrefix(req.Path, "/open_api_v1/cc_ad_tasks/"))
	}
}

// poolHolds reports whether one of the task's number pool entries holds the
// number (E.164).
func (t tenant) poolHolds(ctx context.Context, task, e164 string) (bool, *apiError) {
	token := ""
	for {
		page, err := t.host.ListContacts(ctx, t.acct.ID, task, dialect.Page{Size: 1000, Token: token})
		if err != nil {
			return false, hostError(err, task)
		}
		for _, c := range page.Contacts {
			if slices.Contains(c.Numbers, e164) {
				return true, nil
			}
		}
		if page.NextToken == "" {
			return false, nil
		}
		token = page.NextToken
	}
}
