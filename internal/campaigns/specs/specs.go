// Package specs checks the outbound objects a tenant keeps apart from its
// campaigns, time groups and redial policies, with the dialer's own
// validation (pkg/dialer checks them only inside a campaign), so that the
// service's host API and the in-memory test host refuse the same specs
// naming the same fields. Field names are relative to the object: "zone",
// "ranges[0]", "rules.busy.count".
package specs

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// RedialPolicy is the spec of a redial_policy object: a dialer.RedialPolicy
// with the id the host gave it and an optional name (zxycall's recycle rules
// have one).
type RedialPolicy struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	dialer.RedialPolicy
}

// Decode reads an object's JSON spec into v (what names it: "a trunk"). A
// value of the wrong JSON type is a *dialer.FieldError naming its field
// ("ranges.from"); any other bad JSON one naming "spec".
func Decode(spec json.RawMessage, what string, v any) error {
	err := json.Unmarshal(spec, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" && te.Type != nil {
		return &dialer.FieldError{Field: te.Field, Value: te.Value, Reason: "must be " + jsonKind(te.Type.Kind())}
	}
	return &dialer.FieldError{Field: "spec", Reason: "is not " + what + ": " + err.Error()}
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a number"
}

// CheckTimeGroup reports the first bad field of g as a *dialer.FieldError.
func CheckTimeGroup(g dialer.TimeGroup) error {
	c := carrier()
	c.Windows.Allowed = []dialer.TimeGroup{g}
	c.SetDefaults()
	return relative(c.Validate(), "windows.allowed[0]")
}

// CheckRedialPolicy fills p's defaults (as a campaign would) and reports its
// first bad field as a *dialer.FieldError.
func CheckRedialPolicy(p *dialer.RedialPolicy) error {
	c := carrier()
	c.Redial = *p
	c.SetDefaults()
	if err := relative(c.Validate(), "redial"); err != nil {
		return err
	}
	*p = c.Redial
	return nil
}

// carrier is a valid campaign apart from the object it carries.
func carrier() dialer.Campaign {
	return dialer.Campaign{ID: "check", Name: "check", Mode: dialer.ModeCallback, DefaultRegion: "US"}
}

// relative strips the carrier's path from a field error about the object;
// any other error is the carrier's own fault.
func relative(err error, prefix string) error {
	if err == nil {
		return nil
	}
	var fe *dialer.FieldError
	if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, prefix) {
		return fmt.Errorf("specs: checking through a campaign failed outside the object: %w", err)
	}
	field := strings.TrimPrefix(strings.TrimPrefix(fe.Field, prefix), ".")
	if field == "" {
		field = "spec"
	}
	return &dialer.FieldError{Field: field, Value: fe.Value, Reason: fe.Reason}
}
