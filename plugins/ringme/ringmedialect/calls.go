package ringmedialect

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// CurrentCall is a call in one of the client's queues (ours: the
// vendor's documents only say call_api_id reaches current_calls).
type CurrentCall struct {
	QueueMember
	ExtensionID wireID `json:"extension_id"`
}

// currentCalls lists the calls waiting or talking in the client's queues.
func (c *call) currentCalls(ctx context.Context) ([]CurrentCall, error) {
	qs, err := c.host.ListQueues(ctx, c.acct.ID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(qs, func(a, b acd.QueueConfig) int { return compareIDs(a.ID, b.ID) })
	out := []CurrentCall{}
	for _, q := range qs {
		ms, err := c.host.QueueMembers(ctx, c.acct.ID, q.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, CurrentCall{QueueMember: memberOf(m), ExtensionID: wireID(q.ID)})
		}
	}
	return out, nil
}

// calls routes /client/{client_id}/current_calls/[{call_api_id}]: the
// calls in the client's queues can be read; hanging up or transferring one
// needs call control the host API does not offer yet (501).
func (c *call) calls(ctx context.Context, seg []string) dialect.Response {
	if len(seg) > 1 {
		return notFound("resource")
	}
	m := c.req.Method
	if len(seg) == 0 && m != http.MethodGet {
		return methodNotAllowed(http.MethodGet)
	}
	if len(seg) == 1 && m != http.MethodGet && m != http.MethodDelete && m != http.MethodPost && m != http.MethodPut {
		return methodNotAllowed(http.MethodGet, http.MethodDelete)
	}
	all, err := c.currentCalls(ctx)
	if err != nil {
		return fail(err, "call")
	}
	if len(seg) == 0 {
		return reply(http.StatusOK, all)
	}
	i := slices.IndexFunc(all, func(cc CurrentCall) bool { return cc.CallAPIID == seg[0] })
	if i < 0 {
		return notFound("call")
	}
	if m == http.MethodGet {
		return reply(http.StatusOK, all[i])
	}
	return notSupported("hanging up or transferring a call")
}

// CallHistory is one call of the client's history (ours: the dialect
// file decides the resource, not its fields): a task's call with its A
// leg and, once A answered, its B leg. Times are UTC, YYYY-MM-DD HH:MM:SS.
type CallHistory struct {
	CallUUID    string    `json:"call_uuid"`
	Direction   string    `json:"direction"`
	SchedulerID wireID    `json:"scheduler_id"`
	TaskID      wireID    `json:"task_id"`
	Legs        []CallLeg `json:"legs"`
}

// CallLeg is one leg of a call: a (the task's A number) or b.
type CallLeg struct {
	Leg        string  `json:"leg"`
	Number     string  `json:"number"`
	CallerID   *string `json:"caller_id"`
	StartTime  *string `json:"start_time_utc"`
	AnswerTime *string `json:"answer_time_utc"`
	EndTime    *string `json:"end_time_utc"`
	Result     *string `json:"result"`
	Comment    *string `json:"comment"`
}

func utc(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return nonEmpty(t.UTC().Format(dateLayout))
}

// callHistory serves GET /client/{client_id}/call_history/ (the list, see
// listCallHistory) and GET …/call_history/{call_uuid} (the uuid is a
// task's cdr).
func (c *call) callHistory(ctx context.Context, seg []string) dialect.Response {
	if len(seg) > 1 || (len(seg) == 1 && seg[0] == "") {
		return notFound("resource")
	}
	if c.req.Method != http.MethodGet {
		return methodNotAllowed(http.MethodGet)
	}
	if len(seg) == 0 {
		return c.listCallHistory(ctx)
	}
	out, err := c.callByUUID(ctx, seg[0])
	if err != nil {
		return fail(err, "call")
	}
	if out == nil {
		return notFound("call")
	}
	return reply(http.StatusOK, out)
}
