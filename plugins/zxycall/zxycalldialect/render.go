package zxycalldialect

import (
	"net/http"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// Entity is a task in the seed's create/get shape.
type Entity struct {
	Start                     int         `json:"start"`
	AlterDatetime             string      `json:"alter_datetime"`
	DestinationDialplan       string      `json:"destination_dialplan"`
	DestinationContext        string      `json:"destination_context"`
	OriginateVariables        *string     `json:"originate_variables"`
	Maximumcall               int         `json:"maximumcall"`
	RecycleLimit              int         `json:"recycle_limit"`
	Name                      string      `json:"name"`
	Remark                    *string     `json:"remark"`
	DestinationExtension      *int        `json:"destination_extension"`
	DisableDialTimegroup      string      `json:"disable_dial_timegroup"`
	RandomAssignmentNumber    int         `json:"random_assignment_number"`
	CallerLineID              string      `json:"caller_line_id"`
	CallPauseSecond           int         `json:"call_pause_second"`
	OriginateTimeout          int         `json:"_originate_timeout"`
	CustomerServiceID         *int        `json:"customer_service_id"`
	AutoRecycleRuleID         *int        `json:"auto_recycle_rule_id"`
	OriginationCallerIDNumber *string     `json:"_origination_caller_id_number"`
	DialFormat                *string     `json:"dial_format"`
	CallNotifyURL             *string     `json:"call_notify_url"`
	CallNotifyType            *int        `json:"call_notify_type"`
	UUID                      string      `json:"uuid"`
	UserID                    string      `json:"user_id"`
	CreateDatetime            string      `json:"create_datetime"`
	StartStr                  string      `json:"start_str"`
	GroupStr                  *string     `json:"group_str"`
	ProgressBar               ProgressBar `json:"progress_bar"`
	Group                     *Group      `json:"group"`
}

// Group is a script group (话术分组) as meta, the task entity and
// /v1/outbound_group show it. A task whose group is gone shows only its id.
type Group struct {
	ID              int     `json:"id"`
	Name            *string `json:"name"`
	UserID          string  `json:"user_id"`
	Debug           bool    `json:"debug"`
	DeletedAt       *string `json:"deleted_at"`
	CreatedAt       *string `json:"created_at"`
	UpdatedAt       *string `json:"updated_at"`
	LinkWordGroupID *int    `json:"link_word_group_id"`
	TagSceneID      *int    `json:"tag_scene_id"`
	Default         bool    `json:"default"`
}

// entity renders t; sg gives its script group.
func (d *Dialect) entity(acct dialect.Account, t task, l *line, sg scripts) Entity {
	c := t.Spec
	e := Entity{
		AlterDatetime: c.Attrs[attrAltered], DestinationDialplan: "XML", DestinationContext: c.Destination.Dialplan.Context,
		Maximumcall: c.Pacing.MaxConcurrent, Name: c.Name, DestinationExtension: t.attrInt(attrScript),
		DisableDialTimegroup: c.Attrs[attrTimegroup], CallerLineID: c.Trunk,
		CallPauseSecond: int(c.Pacing.PauseBetweenCalls / time.Second), OriginateTimeout: int(c.RingTimeout / time.Second),
		CustomerServiceID: t.attrInt(attrCustomer), AutoRecycleRuleID: t.attrInt(attrRecycleRule),
		UUID: t.ID, UserID: acct.ID, CreateDatetime: c.Attrs[attrCreated], StartStr: "暂停", ProgressBar: progressOf(t),
	}
	if t.running() {
		e.Start, e.StartStr = 1, "开启"
	}
	if c.Description != "" {
		e.Remark = &c.Description
	}
	if c.CallerID.Number != "" {
		e.OriginationCallerIDNumber = &c.CallerID.Number
	} else if l != nil && l.CallerIDNumber != "" {
		e.OriginationCallerIDNumber = &l.CallerIDNumber
	}
	if e.DestinationExtension != nil {
		g := sg.group(acct, *e.DestinationExtension)
		e.Group, e.GroupStr = &g, g.Name
	}
	if u := c.Attrs[attrNotifyURL]; u != "" {
		e.CallNotifyURL, e.CallNotifyType = &u, t.attrInt(attrNotifyType)
	}
	return e
}

// ListEntity is a task in the seed's list shape: the create entity's fields
// (in that order), the list's own, and the objects the task uses embedded.
type ListEntity struct {
	Entity
	CallPerSecond         *int              `json:"call_per_second"`
	SchedulingPolicyRatio *string           `json:"scheduling_policy_ratio"`
	SchedulingQueue       *string           `json:"scheduling_queue"`
	Domain                *string           `json:"domain"`
	Sort                  *int              `json:"sort"`
	CallerLine            *CallerLine       `json:"caller_line"`
	AutoRecycleRule       *AutoRecycleRule  `json:"auto_recycle_rule"`
	DisableTimeGroup      *DisableTimeGroup `json:"disable_time_group"`
	// Group hides Entity.Group: the list embeds fewer of its fields.
	Group *ListGroup `json:"group"`
}

// AutoRecycleRule is a redial rule as the list embeds it.
type AutoRecycleRule struct {
	ID        int     `json:"id"`
	UserID    string  `json:"user_id"`
	Name      string  `json:"name"`
	Remark    string  `json:"remark"`
	Status    bool    `json:"status"`
	CreatedAt *string `json:"created_at"`
	UpdatedAt *string `json:"updated_at"`
	IsDefault bool    `json:"is_default"`
}

// DisableTimeGroup is a blocked time group as the list embeds it.
type DisableTimeGroup struct {
	UUID      string  `json:"uuid"`
	Name      string  `json:"name"`
	Domain    string  `json:"domain"`
	UserID    string  `json:"user_id"`
	CreatedAt *string `json:"created_at"`
	UpdatedAt *string `json:"updated_at"`
}

// listEntity renders t for the list: rules are the account's redial rules
// by id, def the default's id. The embedded time group is the copy the
// task dials by.
func (d *Dialect) listEntity(acct dialect.Account, t task, l *line, sg scripts, rules map[string]RedialSpec, def string) ListEntity {
	out := ListEntity{Entity: d.entity(acct, t, l, sg)}
	if g := out.Entity.Group; g != nil {
		out.Group = &ListGroup{ID: g.ID, Name: g.Name, UserID: g.UserID, Debug: g.Debug, DeletedAt: g.DeletedAt,
			CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt, Default: g.Default}
	}
	if l != nil {
		cl := callerLine(acct, *l, nil)
		out.CallerLine = &cl
	}
	if r, ok := rules[t.Spec.Attrs[attrRecycleRule]]; ok {
		a := autoRecycleRule(acct, r, def)
		out.AutoRecycleRule = &a
	}
	for _, g := range t.Spec.Windows.Blocked {
		if g.ID == out.DisableDialTimegroup {
			out.DisableTimeGroup = &DisableTimeGroup{UUID: g.ID, Name: g.Name, UserID: acct.ID}
		}
	}
	return out
}

// Meta is the body of GET /v1/task/create.
type Meta struct {
	Meta struct {
		EnumDisableDialTimegroup []MetaTimeGroup       `json:"enum_disable_dial_timegroup"`
		CallerLineList           []MetaLine            `json:"caller_line_list"`
		MaxRecycleLimit          string                `json:"max_recycle_limit"`
		AutoRecycleRules         []MetaRecycleRule     `json:"auto_recycle_rules"`
		CustomerService          []MetaCustomerService `json:"customer_service"`
		OutboundGroup            []Group               `json:"outbound_group"`
	} `json:"meta"`
}

// MetaTimeGroup is one of enum_disable_dial_timegroup.
type MetaTimeGroup struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
}

// MetaLine is one of caller_line_list.
type MetaLine struct {
	Name        string  `json:"name"`
	Value       string  `json:"value"`
	Residue     int     `json:"residue"`
	CallLine    int     `json:"call_line"`
	AvailableAt *string `json:"available_at"`
	CallNumber  *string `json:"call_number"`
}

// MetaRecycleRule is one of auto_recycle_rules.
type MetaRecycleRule struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Remark string `json:"remark"`
	Status bool   `json:"status"`
}

// MetaCustomerService is an agent group (客服组: a queue of the host) as
// meta and /v1/customer_service show it.
type MetaCustomerService struct {
	ID           int     `json:"id"`
	UserID       string  `json:"user_id"`
	Name         *string `json:"name"`
	CreatedAt    *string `json:"created_at"`
	UpdatedAt    *string `json:"updated_at"`
	CallerLineID *string `json:"caller_line_id"`
	Status       int     `json:"status"`
}

func (d *Dialect) taskMeta(w http.ResponseWriter, r *http.Request) {
	ctx, host, acct := r.Context(), dialect.HostFrom(r.Context()), reqAccount(r)
	var m Meta
	groups, err := timeGroups(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	m.Meta.EnumDisableDialTimegroup = []MetaTimeGroup{}
	for _, g := range groups {
		m.Meta.EnumDisableDialTimegroup = append(m.Meta.EnumDisableDialTimegroup, MetaTimeGroup{g.ID, g.Name})
	}
	rules, err := recycleRules(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	lines, err := allLines(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	tasks, err := allTasks(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	m.Meta.CallerLineList = []MetaLine{}
	for _, l := range lines {
		cl := callerLine(acct, l, tasks)
		m.Meta.CallerLineList = append(m.Meta.CallerLineList, MetaLine{Name: cl.Name, Value: cl.ID, Residue: residue(l, tasks, ""),
			CallLine: cl.CallLine, AvailableAt: cl.BeginAt, CallNumber: cl.CallNumberPrefix})
	}
	m.Meta.MaxRecycleLimit = "0"
	m.Meta.AutoRecycleRules = []MetaRecycleRule{}
	for _, rr := range rules {
		m.Meta.AutoRecycleRules = append(m.Meta.AutoRecycleRules, MetaRecycleRule{ID: ruleID(rr.ID), Name: rr.Name, Status: true})
	}
	m.Meta.CustomerService = []MetaCustomerService{}
	ags, err := agentGroups(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	for _, g := range ags {
		m.Meta.CustomerService = append(m.Meta.CustomerService, g.entity(acct))
	}
	sgs, err := d.scriptGroups(ctx, host, acct.ID)
	if err != nil {
		failErr(w, err)
		return
	}
	m.Meta.OutboundGroup = []Group{}
	sdef := oldest(sgs)
	for _, g := range sgs {
		m.Meta.OutboundGroup = append(m.Meta.OutboundGroup, scriptGroupEntity(acct, g, sdef))
	}
	ok(w, m)
}

// ListGroup is a script group as the seed's list embeds it.
type ListGroup struct {
	ID        int     `json:"id"`
	Name      *string `json:"name"`
	UserID    string  `json:"user_id"`
	Debug     bool    `json:"debug"`
	DeletedAt *string `json:"deleted_at"`
	CreatedAt *string `json:"created_at"`
	UpdatedAt *string `json:"updated_at"`
	Default   bool    `json:"default"`
}
