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

// calls routes /client/{client_id}/current_calls/[{call_api_id}[/transfer/]]:
// the calls in the client's queues are read, hung up (DELETE) and
// transferred (POST …/transfer/ with a destination) through the host's
// call control, which finds only the client's own calls.
func (c *call) calls(ctx context.Context, seg []string) dialect.Response {
	m := c.req.Method
	switch {
	case len(seg) == 0:
		if m != http.MethodGet {
			return methodNotAllowed(http.MethodGet)
		}
		all, err := c.currentCalls(ctx)
		if err != nil {
			return fail(err, "call")
		}
		return reply(http.StatusOK, all)
	case len(seg) == 1:
		switch m {
		case http.MethodGet:
			all, err := c.currentCalls(ctx)
			if err != nil {
				return fail(err, "call")
			}
			i := slices.IndexFunc(all, func(cc CurrentCall) bool { return cc.CallAPIID == seg[0] })
			if i < 0 {
				return notFound("call")
			}
			return reply(http.StatusOK, all[i])
		case http.MethodDelete:
			if err := c.host.HangupCall(ctx, c.acct.ID, seg[0]); err != nil {
				return fail(err, "call")
			}
			return dialect.Response{Status: http.StatusNoContent}
		}
		return methodNotAllowed(http.MethodGet, http.MethodDelete)
	case len(seg) == 2 && seg[1] == "transfer":
		if m != http.MethodPost {
			return methodNotAllowed(http.MethodPost)
		}
		return c.transfer(ctx, seg[0])
	}
	return notFound("resource")
}

// TransferRequest is the body of POST …/current_calls/{call_api_id}/transfer/
// (ours: the vendor only says a transfer moves the call to a destination).
// Destination is written as the queue's *_transfer_dst are: a number or
// extension ("333", as a string or a number) or a dialplan target
// "context,exten[,priority]".
type TransferRequest struct {
	Destination *flexString `json:"destination"`
}

// transfer moves one of the client's calls to the request's destination.
func (c *call) transfer(ctx context.Context, id string) dialect.Response {
	var req TransferRequest
	if err := decode(c.req.Body, &req); err != nil {
		return fail(err, "call")
	}
	if req.Destination == nil || *req.Destination == "" {
		return badField("destination", "is required")
	}
	if err := c.host.TransferCall(ctx, c.acct.ID, id, string(*req.Destination)); err != nil {
		return fail(err, "call")
	}
	return dialect.Response{Status: http.StatusNoContent}
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
