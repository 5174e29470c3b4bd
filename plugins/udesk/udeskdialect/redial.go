package udeskdialect

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// recall and follow_on give one number of a task's number pool one more
// call through the host (Host.RedialContact): recall at after_at, follow_on
// now. The host finds the pool entry holding the number (its main number,
// or one of a comma-separated cellphone's others), brings a finished one
// back for that call and keeps the due time across restarts.

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
// follow_on ("called"): the body is checked, then the host redials the
// number; a number the task's pool does not hold is 501032.
func redialHandler(numberKey string, withAfter bool) handler {
	message := "Follow-up successful"
	if withAfter {
		message = "Redial successful"
	}
	return func(ctx context.Context, t tenant, _ string, req dialect.Request) (dialect.Response, *apiError) {
		in, aerr := parseRedial(ctx, t, req.Body, numberKey, withAfter)
		if aerr != nil {
			return dialect.Response{}, aerr
		}
		err := t.host.RedialContact(ctx, t.acct.ID, in.task, dialect.Redial{Number: in.e164, At: in.at})
		var fe *dialect.FieldError
		switch {
		case err == nil:
			return reply(http.StatusOK, struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}{CodeOK, message}), nil
		case errors.As(err, &fe) && fe.Field == "number", errors.Is(err, dialect.ErrNotFound) && t.taskExists(ctx, in.task):
			return dialect.Response{}, errf(http.StatusBadRequest, CodeBadNumber, "Invalid number",
				"%s %s is not in the number pool of task %s", numberKey, in.number, in.task)
		}
		return dialect.Response{}, hostError(err, in.task)
	}
}

// taskExists tells a number the host did not find in a task from a task
// deleted meanwhile.
func (t tenant) taskExists(ctx context.Context, id string) bool {
	_, aerr := t.task(ctx, id)
	return aerr == nil
}
