package ringmedialect

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/acd"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// ExtensionRequest is the body of POST /client/{client_id}/extension/ and
// of PUT …/extension/{id} (there every field is optional: those sent
// replace the stored ones).
type ExtensionRequest struct {
	Status *string     `json:"status"`
	Name   *flexString `json:"name"`
	Label  *string     `json:"label"`
	Type   *string     `json:"type"`
}

// Extension is the vendor's extension object (POST's, GET's and PUT's
// response, and the list's entries).
type Extension struct {
	Status                string  `json:"status"`
	Domain                string  `json:"domain"`
	CreateDate            *string `json:"create_date"`
	Name                  string  `json:"name"`
	DialRuleLimit         *int64  `json:"dial_rule_limit"`
	ExtensionGroupID      *int64  `json:"extension_group_id"`
	Label                 string  `json:"label"`
	CallerIDName          *string `json:"caller_id_name"`
	ClientID              wireID  `json:"client_id"`
	ExtraParams           *string `json:"extra_params"`
	MessageDID            *string `json:"message_did"`
	DialRuleID            *int64  `json:"dial_rule_id"`
	AniRFC3325            bool    `json:"ani_rfc3325"`
	Type                  string  `json:"type"`
	ID                    wireID  `json:"id"`
	DIDAsTransferCallerID *string `json:"did_as_transfer_caller_id"`
}

// extensionPrefix is the client's extension prefix in extension names
// ("000*370"); ours: every client gets 000.
const extensionPrefix = "000*"

// Keys of the extension's own fields in its queue's Attrs.
const (
	attrExtName    = "name"
	attrExtLabel   = "label"
	attrExtStatus  = "status"
	attrExtCreated = "create_date"
)

// Limits and defaults of extensions (ours).
const (
	maxExtensionLabel      = 255
	maxExtensionNameDigits = 10
	defaultExtensionStatus = "active"
	// defaultExtensionsPage and maxExtensionsPage size the extension list.
	defaultExtensionsPage = 100
	maxExtensionsPage     = 1000
)

// defaultExtensionName is the name of an extension created without one:
// the prefix and the zero-padded id ("000*208").
func defaultExtensionName(id string) string { return extensionPrefix + zeroPad(id, 3) }

// extensionFields are an extension's own fields as its queue keeps them.
type extensionFields struct {
	name, label, status, created string
}

// fieldsOf reads an extension's fields from its queue. An extension
// created before its fields were kept (no Attrs) reads as POST made it:
// the default name, no label, active; its create_date is unknown ("").
func fieldsOf(q acd.QueueConfig) extensionFields {
	f := extensionFields{name: q.Attrs[attrExtName], label: q.Attrs[attrExtLabel], status: q.Attrs[attrExtStatus], created: q.Attrs[attrExtCreated]}
	if f.name == "" {
		f.name = defaultExtensionName(q.ID)
	}
	if f.status == "" {
		f.status = defaultExtensionStatus
	}
	return f
}

// store writes f into q's Attrs (a copy: q's map may be shared). An
// empty name is not stored: the extension has the default name, which
// needs the id the host gives.
func (f extensionFields) store(q *acd.QueueConfig) {
	attrs := make(map[string]string, len(q.Attrs)+4)
	for k, v := range q.Attrs {
		attrs[k] = v
	}
	attrs[attrExtLabel], attrs[attrExtStatus] = f.label, f.status
	for k, v := range map[string]string{attrExtName: f.name, attrExtCreated: f.created} {
		if v == "" {
			delete(attrs, k)
		} else {
			attrs[k] = v
		}
	}
	q.Attrs = attrs
}

// apply checks the fields r sends and sets them in f; a name sent empty
// is the default name. type may be sent, but only as queue.
func (r ExtensionRequest) apply(f *extensionFields) error {
	if r.Type != nil && *r.Type != "queue" {
		return &dialect.FieldError{Field: "type", Value: *r.Type, Reason: "is queue and cannot be changed"}
	}
	if r.Status != nil {
		switch *r.Status {
		case "active", "blocked":
			f.status = *r.Status
		default:
			return &dialect.FieldError{Field: "status", Value: *r.Status, Reason: `must be "active" or "blocked"`}
		}
	}
	if r.Name != nil {
		name := string(*r.Name)
		if name == "" {
			f.name = ""
		} else {
			digits := strings.TrimPrefix(name, extensionPrefix)
			if digits == "" || len(digits) > maxExtensionNameDigits || strings.Trim(digits, "0123456789") != "" {
				return &dialect.FieldError{Field: "name", Value: name,
					Reason: fmt.Sprintf("must be up to %d digits, optionally after %q", maxExtensionNameDigits, extensionPrefix)}
			}
			f.name = extensionPrefix + digits
		}
	}
	if r.Label != nil {
		if len(*r.Label) > maxExtensionLabel {
			return &dialect.FieldError{Field: "label", Reason: fmt.Sprintf("must be at most %d bytes", maxExtensionLabel)}
		}
		f.label = *r.Label
	}
	return nil
}

// extensionOf is the vendor's extension for one of the client's queues.
func (c *call) extensionOf(q acd.QueueConfig) Extension {
	f := fieldsOf(q)
	return Extension{Status: f.status, Domain: c.d.cfg.Domain, CreateDate: nonEmpty(f.created), Name: f.name, Label: f.label,
		ClientID: wireID(c.acct.ID), Type: "queue", ID: wireID(q.ID)}
}

// nameTaken answers 409 naming name when another of the client's
// extensions (any but id) has it, nil otherwise. The check and the write
// that follows are two host calls: two requests at once may both pass.
func (c *call) nameTaken(ctx context.Context, name, id string) (*dialect.Response, error) {
	qs, err := c.host.ListQueues(ctx, c.acct.ID)
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		if q.ID != id && fieldsOf(q).name == name {
			r := errorReply(http.StatusConflict, "already_exists", "name", fmt.Sprintf("name: extension %s is named %s already", q.ID, name))
			return &r, nil
		}
	}
	return nil, nil
}

// createExtension serves POST /client/{client_id}/extension/: a queue
// extension, its fields kept in its queue's Attrs.
func (c *call) createExtension(ctx context.Context) dialect.Response {
	var in ExtensionRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "extension")
	}
	if in.Type == nil || *in.Type == "" {
		return badField("type", "is required")
	}
	if *in.Type != "queue" {
		return errorReply(http.StatusNotImplemented, "not_supported", "type",
			fmt.Sprintf("type: only queue extensions are supported by this server (got %q)", *in.Type))
	}
	f := extensionFields{status: defaultExtensionStatus, created: c.d.cfg.Now().UTC().Format(dateLayout)}
	if err := in.apply(&f); err != nil {
		return fail(err, "extension")
	}
	if f.name != "" {
		taken, err := c.nameTaken(ctx, f.name, "")
		if err != nil {
			return fail(err, "extension")
		}
		if taken != nil {
			return *taken
		}
	}
	q := acd.NewQueueConfig("")
	f.store(&q)
	stored, err := c.host.PutQueue(ctx, c.acct.ID, q)
	if err != nil {
		return fail(err, "extension")
	}
	return reply(http.StatusCreated, c.extensionOf(stored))
}

// extensionByID serves GET, PUT and DELETE /client/{client_id}/extension/{id}.
// DELETE removes a queue extension with its queue.
func (c *call) extensionByID(ctx context.Context, id string) dialect.Response {
	switch c.req.Method {
	case http.MethodDelete:
		if err := c.host.DeleteQueue(ctx, c.acct.ID, id); err != nil {
			return fail(err, "extension")
		}
		return dialect.Response{Status: http.StatusNoContent}
	case http.MethodGet:
		q, err := c.host.GetQueue(ctx, c.acct.ID, id)
		if err != nil {
			return fail(err, "extension")
		}
		return reply(http.StatusOK, c.extensionOf(q))
	case http.MethodPut:
		return c.updateExtension(ctx, id)
	}
	return methodNotAllowed(http.MethodGet, http.MethodPut, http.MethodDelete)
}

// updateExtension changes the fields sent; the queue's parameters stay.
func (c *call) updateExtension(ctx context.Context, id string) dialect.Response {
	var in ExtensionRequest
	if err := decode(c.req.Body, &in); err != nil {
		return fail(err, "extension")
	}
	q, err := c.host.GetQueue(ctx, c.acct.ID, id)
	if err != nil {
		return fail(err, "extension")
	}
	f := fieldsOf(q)
	before := f.name
	if err := in.apply(&f); err != nil {
		return fail(err, "extension")
	}
	if f.name != "" && f.name != before {
		taken, err := c.nameTaken(ctx, f.name, q.ID)
		if err != nil {
			return fail(err, "extension")
		}
		if taken != nil {
			return *taken
		}
	}
	f.store(&q)
	stored, err := c.host.PutQueue(ctx, c.acct.ID, q)
	if err != nil {
		return fail(err, "extension")
	}
	return reply(http.StatusOK, c.extensionOf(stored))
}

// listExtensions serves GET /client/{client_id}/extension/: the client's
// extensions in id order, paged as the task list is: ?limit= (default
// 100, at most 1000) and ?page_token= (the previous page's
// X-Next-Page-Token header, absent on the last page; the token is the
// last id of that page, so extensions created or deleted meanwhile shift
// nothing).
func (c *call) listExtensions(ctx context.Context) dialect.Response {
	size := defaultExtensionsPage
	if v := c.req.Query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxExtensionsPage {
			return badField("limit", fmt.Sprintf("must be from 1 to %d (got %q)", maxExtensionsPage, v))
		}
		size = n
	}
	after := c.req.Query.Get("page_token")
	if after != "" && !validID(after) {
		return badField("page_token", "is not a token this list gave")
	}
	qs, err := c.host.ListQueues(ctx, c.acct.ID)
	if err != nil {
		return fail(err, "extension")
	}
	slices.SortFunc(qs, func(a, b acd.QueueConfig) int { return compareIDs(a.ID, b.ID) })
	if after != "" {
		i := slices.IndexFunc(qs, func(q acd.QueueConfig) bool { return compareIDs(q.ID, after) > 0 })
		if i < 0 {
			i = len(qs)
		}
		qs = qs[i:]
	}
	more := len(qs) > size
	qs = qs[:min(size, len(qs))]
	out := make([]Extension, 0, len(qs))
	for _, q := range qs {
		out = append(out, c.extensionOf(q))
	}
	resp := reply(http.StatusOK, out)
	if more {
		resp.Header.Set("X-Next-Page-Token", qs[len(qs)-1].ID)
	}
	return resp
}
