package zxycalldialect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// TaskInput is the body of POST /v1/task and PUT /v1/task/{task_id}, as
// decoded: nil means the field was absent or null.
type TaskInput struct {
	CallerLineID           *string
	CustomerServiceID      *int
	DestinationExtension   *int
	DisableDialTimegroup   *string
	Maximumcall            *int
	Name                   *string
	RandomAssignmentNumber *int
	RecycleLimit           *int
	Remark                 *string
	OriginateTimeout       *int
	CallPauseSecond        *int
	AutoRecycleRuleID      *int
	// CallNotifyURL receives a POST per finished call; "" or absent: none.
	CallNotifyURL  *string
	CallNotifyType *int
}

// DecodeTask reads a task body: a JSON object whose integers may also come
// as strings of digits (as zxycall's form-minded clients send them). The
// first wrong field is named in the error; required fields are checked.
func DecodeTask(body []byte) (TaskInput, *dialect.FieldError) {
	var in TaskInput
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		reason := "must be a JSON object"
		if err != nil {
			reason += ": " + err.Error()
		}
		return in, &dialect.FieldError{Field: "body", Reason: reason}
	}
	strs := []struct {
		name string
		dst  **string
	}{{"caller_line_id", &in.CallerLineID}, {"disable_dial_timegroup", &in.DisableDialTimegroup}, {"name", &in.Name}, {"remark", &in.Remark},
		{"call_notify_url", &in.CallNotifyURL}}
	for _, f := range strs {
		v, fe := decodeString(f.name, raw[f.name])
		if fe != nil {
			return in, fe
		}
		*f.dst = v
	}
	ints := []struct {
		name string
		dst  **int
	}{{"customer_service_id", &in.CustomerServiceID}, {"destination_extension", &in.DestinationExtension},
		{"maximumcall", &in.Maximumcall}, {"random_assignment_number", &in.RandomAssignmentNumber},
		{"recycle_limit", &in.RecycleLimit}, {"_originate_timeout", &in.OriginateTimeout},
		{"call_pause_second", &in.CallPauseSecond}, {"auto_recycle_rule_id", &in.AutoRecycleRuleID},
		{"call_notify_type", &in.CallNotifyType}}
	for _, f := range ints {
		v, fe := decodeInt(f.name, raw[f.name])
		if fe != nil {
			return in, fe
		}
		*f.dst = v
	}
	return in, in.check()
}

func isNull(b json.RawMessage) bool {
	return len(b) == 0 || bytes.Equal(bytes.TrimSpace(b), []byte("null"))
}

func decodeString(field string, b json.RawMessage) (*string, *dialect.FieldError) {
	if isNull(b) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, &dialect.FieldError{Field: field, Value: string(b), Reason: "must be a string"}
	}
	return &s, nil
}

func decodeInt(field string, b json.RawMessage) (*int, *dialect.FieldError) {
	if isNull(b) {
		return nil, nil
	}
	bad := &dialect.FieldError{Field: field, Value: truncate(string(b)), Reason: "must be an integer"}
	var s string
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, bad
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
	} else {
		s = string(b)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
			return nil, bad
		}
		n = int64(f)
	}
	if n > math.MaxInt32 || n < math.MinInt32 {
		return nil, &dialect.FieldError{Field: field, Value: truncate(s), Reason: "is out of range"}
	}
	v := int(n)
	return &v, nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func required(field string) *dialect.FieldError {
	return &dialect.FieldError{Field: field, Reason: "is required"}
}

// check applies the seed's required fields and fixed values.
func (in TaskInput) check() *dialect.FieldError {
	switch {
	case in.CallerLineID == nil || strings.TrimSpace(*in.CallerLineID) == "":
		return required("caller_line_id")
	case in.DestinationExtension == nil:
		return required("destination_extension")
	case in.DisableDialTimegroup == nil || *in.DisableDialTimegroup == "":
		return required("disable_dial_timegroup")
	case in.Maximumcall == nil:
		return required("maximumcall")
	case in.Name == nil || strings.TrimSpace(*in.Name) == "":
		return required("name")
	case in.RandomAssignmentNumber == nil:
		return required("random_assignment_number")
	case in.RecycleLimit == nil:
		return required("recycle_limit")
	case in.OriginateTimeout == nil:
		return required("_originate_timeout")
	case in.CallPauseSecond == nil:
		return required("call_pause_second")
	case in.AutoRecycleRuleID == nil:
		return required("auto_recycle_rule_id")
	}
	switch {
	case *in.DestinationExtension <= 0:
		return &dialect.FieldError{Field: "destination_extension", Value: strconv.Itoa(*in.DestinationExtension), Reason: "must be a script group id (a positive integer)"}
	case *in.Maximumcall < 1:
		return &dialect.FieldError{Field: "maximumcall", Value: strconv.Itoa(*in.Maximumcall), Reason: "must be at least 1"}
	case *in.RandomAssignmentNumber != 0:
		return &dialect.FieldError{Field: "random_assignment_number", Value: strconv.Itoa(*in.RandomAssignmentNumber), Reason: "must be 0 (固定为0)"}
	case *in.RecycleLimit != 0:
		return &dialect.FieldError{Field: "recycle_limit", Value: strconv.Itoa(*in.RecycleLimit), Reason: "must be 0 (弃用, 有且只能为0; use auto_recycle_rule_id)"}
	case *in.OriginateTimeout < 1 || *in.OriginateTimeout > 600:
		return &dialect.FieldError{Field: "_originate_timeout", Value: strconv.Itoa(*in.OriginateTimeout), Reason: "must be 1–600 seconds"}
	case *in.CallPauseSecond < 0 || *in.CallPauseSecond > 3600:
		return &dialect.FieldError{Field: "call_pause_second", Value: strconv.Itoa(*in.CallPauseSecond), Reason: "must be 0–3600 seconds"}
	case len([]rune(*in.Name)) > 100:
		return &dialect.FieldError{Field: "name", Reason: "must be at most 100 characters"}
	case in.Remark != nil && len([]rune(*in.Remark)) > 500:
		return &dialect.FieldError{Field: "remark", Reason: "must be at most 500 characters"}
	case in.CustomerServiceID != nil && *in.CustomerServiceID <= 0:
		return &dialect.FieldError{Field: "customer_service_id", Value: fmt.Sprint(*in.CustomerServiceID), Reason: "must be an agent group id (a positive integer)"}
	case in.CallNotifyType != nil && *in.CallNotifyType != notifyTypeJSON:
		return &dialect.FieldError{Field: "call_notify_type", Value: strconv.Itoa(*in.CallNotifyType), Reason: "must be 2 (a JSON POST per finished call)"}
	}
	return checkNotifyURL(in.notifyURL())
}

// notifyURL is the task's call_notify_url, "" for none.
func (in TaskInput) notifyURL() string {
	if in.CallNotifyURL == nil {
		return ""
	}
	return strings.TrimSpace(*in.CallNotifyURL)
}

// checkNotifyURL checks the form of a call_notify_url ("" is none); the
// host checks where it points when the subscription is stored.
func checkNotifyURL(raw string) *dialect.FieldError {
	if raw == "" {
		return nil
	}
	bad := func(reason string) *dialect.FieldError {
		return &dialect.FieldError{Field: "call_notify_url", Value: truncate(raw), Reason: reason}
	}
	if len(raw) > maxNotifyURL {
		return bad(fmt.Sprintf("must be at most %d bytes", maxNotifyURL))
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "":
		return bad("must be an absolute http(s) URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("must be an http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return bad("must name a host")
	case u.Fragment != "":
		return bad("must not have a #fragment")
	}
	return nil
}
