package zxycalldialect

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// Agent groups (客服组, customer_service) are the account's host queues: a
// task's customer_service_id is the queue a call goes to when the script
// asks for a human (Campaign.Queue, Destination.Transfer "queue"). The
// group's own fields (name, transfer line, status, stamps) are the queue's
// Attrs (attrGroup*). A queue without them (made through the host) is
// listed with name and caller_line_id null, so it is not usable until a
// PUT gives it a line.

const agentGroupNotYours = "is not one of your agent groups (customer_service)"

// AgentGroupInput is the body of POST /v1/customer_service and PUT
// /v1/customer_service/{id} (ours): {"name", "caller_line_id", "status"}.
type AgentGroupInput struct {
	Name string
	// CallerLineID is the transfer line; "" for null.
	CallerLineID string
	// Status is 1 (usable, the default) or 0.
	Status int
}

// DecodeAgentGroup reads an agent group body; integers may be strings of
// digits.
func DecodeAgentGroup(body []byte) (AgentGroupInput, *dialect.FieldError) {
	var in AgentGroupInput
	m, fe := fields("body", body)
	if fe != nil {
		return in, fe
	}
	if in.Name, fe = decodeName(m); fe != nil {
		return in, fe
	}
	line, fe := decodeString("caller_line_id", m["caller_line_id"])
	if fe != nil {
		return in, fe
	}
	if line != nil {
		in.CallerLineID = strings.TrimSpace(*line)
	}
	status, fe := decodeInt("status", m["status"])
	switch {
	case fe != nil:
		return in, fe
	case status == nil:
		in.Status = 1
	case *status != 0 && *status != 1:
		return in, &dialect.FieldError{Field: "status", Value: strconv.Itoa(*status), Reason: "must be 1 (可用) or 0"}
	default:
		in.Status = *status
	}
	return in, nil
}

// Keys of an agent group's fields in its queue's Attrs; a queue with
// attrGroupStatus is one zxycall made or changed.
const (
	attrGroupName    = "name"
	attrGroupLine    = "caller_line_id"
	attrGroupStatus  = "status"
	attrGroupCreated = "created_at"
	attrGroupUpdated = "updated_at"
)

// groupFields are an agent group's own fields.
type groupFields struct {
	Name string
	// CallerLineID is the transfer line ("" for null).
	CallerLineID string
	// Status is 0 (disabled) or 1 (usable).
	Status int
	// CreatedAt and UpdatedAt are stamps in datetimeLayout, Asia/Shanghai.
	CreatedAt, UpdatedAt string
}

// agentGroup is a queue with its fields (nil: none).
type agentGroup struct {
	queue string
	rec   *groupFields
}

// agentGroupOf reads a queue's agent group fields.
func agentGroupOf(q acd.QueueConfig) agentGroup {
	g := agentGroup{queue: q.ID}
	status, ok := q.Attrs[attrGroupStatus]
	if !ok {
		return g
	}
	n, _ := strconv.Atoi(status)
	g.rec = &groupFields{Name: q.Attrs[attrGroupName], CallerLineID: q.Attrs[attrGroupLine], Status: n,
		CreatedAt: q.Attrs[attrGroupCreated], UpdatedAt: q.Attrs[attrGroupUpdated]}
	return g
}

// store writes f into q's Attrs (a copy: q's map may be shared).
func (f groupFields) store(q *acd.QueueConfig) {
	attrs := maps.Clone(q.Attrs)
	if attrs == nil {
		attrs = make(map[string]string, 5)
	}
	attrs[attrGroupName], attrs[attrGroupStatus] = f.Name, strconv.Itoa(f.Status)
	attrs[attrGroupCreated], attrs[attrGroupUpdated] = f.CreatedAt, f.UpdatedAt
	if f.CallerLineID == "" {
		delete(attrs, attrGroupLine)
	} else {
		attrs[attrGroupLine] = f.CallerLineID
	}
	q.Attrs = attrs
}

func (g agentGroup) usable() bool {
	return g.rec != nil && g.rec.Status == 1 && g.rec.CallerLineID != ""
}

func (g agentGroup) entity(acct dialect.Account) MetaCustomerService {
	id, _ := strconv.Atoi(g.queue)
	e := MetaCustomerService{ID: id, UserID: acct.ID, Status: 1}
	if g.rec != nil {
		e.Name, e.Status = &g.rec.Name, g.rec.Status
		e.CreatedAt, e.UpdatedAt = optional(g.rec.CreatedAt), optional(g.rec.UpdatedAt)
		e.CallerLineID = optional(g.rec.CallerLineID)
	}
	return e
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// agentGroups lists the account's agent groups: its queues with numeric
// ids, by id.
func agentGroups(ctx context.Context, host dialect.Host, account string) ([]agentGroup, error) {
	qs, err := host.ListQueues(ctx, account)
	if err != nil {
		return nil, err
	}
	var out []agentGroup
	for _, q := range qs {
		if _, err := strconv.Atoi(q.ID); err != nil {
			continue
		}
		out = append(out, agentGroupOf(q))
	}
	slices.SortFunc(out, func(a, b agentGroup) int { return compareIDs(a.queue, b.queue) })
	return out, nil
}

// getAgentGroup reads one agent group and its queue; a queue the account
// does not have is ErrNotFound.
func getAgentGroup(ctx context.Context, host dialect.Host, account, id string) (agentGroup, acd.QueueConfig, error) {
	q, err := host.GetQueue(ctx, account, id)
	if err != nil {
		return agentGroup{}, q, err
	}
	return agentGroupOf(q), q, nil
}

// usableAgentGroup checks a task's customer_service_id.
func usableAgentGroup(ctx context.Context, host dialect.Host, account, id string) (*dialect.FieldError, error) {
	g, _, err := getAgentGroup(ctx, host, account, id)
	var fe *dialect.FieldError
	switch {
	case errors.Is(err, dialect.ErrNotFound) || errors.As(err, &fe):
		return &dialect.FieldError{Field: "customer_service_id", Value: id, Reason: agentGroupNotYours}, nil
	case err != nil:
		return nil, err
	case g.rec == nil || g.rec.CallerLineID == "":
		return &dialect.FieldError{Field: "customer_service_id", Value: id, Reason: "is not usable: the agent group has no caller line (caller_line_id null)"}, nil
	case g.rec.Status != 1:
		return &dialect.FieldError{Field: "customer_service_id", Value: id, Reason: "is not usable: the agent group is disabled (status 0)"}, nil
	}
	return nil, nil
}

func (d *Dialect) listAgentGroups(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	gs, err := agentGroups(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	out := make([]MetaCustomerService, 0, len(gs))
	for _, g := range gs {
		out = append(out, g.entity(acct))
	}
	ok(w, struct {
		Data []MetaCustomerService `json:"data"`
	}{out})
}

func (d *Dialect) getAgentGroup(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	g, _, err := getAgentGroup(ctx, host, acct.ID, r.PathValue("id"))
	if err != nil {
		failErr(w, err)
		return
	}
	ok(w, g.entity(acct))
}

// putAgentGroup creates (no id: a new queue) or changes an agent group.
// Tasks naming a group keep transferring to its queue whatever its status;
// a disabled one or one without a line can no longer be chosen.
func (d *Dialect) putAgentGroup(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	id := r.PathValue("id")
	var g agentGroup
	q := acd.NewQueueConfig("")
	if id != "" {
		var err error
		if g, q, err = getAgentGroup(ctx, host, acct.ID, id); err != nil {
			failErr(w, err)
			return
		}
	}
	in, valid := decodeRequest(w, r, DecodeAgentGroup)
	if !valid {
		return
	}
	if in.CallerLineID != "" {
		var fe *dialect.FieldError
		if _, err := getLine(ctx, host, acct.ID, in.CallerLineID); errors.Is(err, dialect.ErrNotFound) || errors.As(err, &fe) {
			failErr(w, &dialect.FieldError{Field: "caller_line_id", Value: truncate(in.CallerLineID), Reason: "is not one of your caller lines (caller_line_list)"})
			return
		} else if err != nil {
			failErr(w, err)
			return
		}
	}
	now := d.stamp(d.now())
	f := groupFields{Name: in.Name, CallerLineID: in.CallerLineID, Status: in.Status, CreatedAt: now, UpdatedAt: now}
	if g.rec != nil && g.rec.CreatedAt != "" {
		f.CreatedAt = g.rec.CreatedAt
	}
	f.store(&q)
	stored, err := host.PutQueue(ctx, acct.ID, q)
	if err != nil {
		failErr(w, fmt.Errorf("store the agent group's queue: %w", err))
		return
	}
	ok(w, agentGroupOf(stored).entity(acct))
}

// deleteAgentGroup deletes an agent group no task names: its queue.
func (d *Dialect) deleteAgentGroup(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	id := r.PathValue("id")
	g, _, err := getAgentGroup(ctx, host, acct.ID, id)
	if err != nil {
		failErr(w, err)
		return
	}
	if refuseInUse(ctx, w, host, acct.ID, attrCustomer, g.queue) {
		return
	}
	if err := host.DeleteQueue(ctx, acct.ID, g.queue); err != nil {
		failErr(w, err)
		return
	}
	success(w, nil)
}

// linesAgentGroups lists the agent groups whose transfer line is line.
func linesAgentGroups(ctx context.Context, host dialect.Host, account, line string) ([]string, error) {
	gs, err := agentGroups(ctx, host, account)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range gs {
		if g.rec != nil && g.rec.CallerLineID == line {
			out = append(out, g.queue)
		}
	}
	return out, nil
}
