package ringmedialect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// maxSeconds bounds every duration on the wire (a year, as pkg/acd does).
const maxSeconds = 365 * 24 * 3600

// maxLevel bounds levels and positions (as pkg/acd does).
const maxLevel = 1 << 30

// decode reads a JSON object into v (a struct of pointer fields), naming
// the field of the first problem: a wrong type, an unknown field, or a
// body that is not one JSON object.
func decode(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return &dialect.FieldError{Field: "body", Reason: "must be a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &dialect.FieldError{Field: "body", Reason: "must hold one JSON object only"}
	}
	return nil
}

func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	var fe *dialect.FieldError
	switch {
	case errors.As(err, &fe):
		return fe
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return &dialect.FieldError{Field: field, Value: te.Value, Reason: "must be of type " + jsonType(te.Type.Kind().String())}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		if name == "" {
			return &dialect.FieldError{Field: "body", Reason: "has a parameter with an empty name"}
		}
		return &dialect.FieldError{Field: name, Reason: "is not a known parameter"}
	}
	return &dialect.FieldError{Field: "body", Reason: "is not valid JSON: " + strings.TrimPrefix(msg, "json: ")}
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64":
		return "integer"
	case "float64":
		return "number"
	case "bool":
		return "boolean"
	case "ptr", "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	}
	return kind
}

// flexString is a vendor id that clients send as a number or a string
// (sound ids: "sound": 36); null clears it.
type flexString string

// UnmarshalJSON accepts a JSON string, an integer or null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return &json.UnmarshalTypeError{Value: jsonValueKind(b), Type: stringType}
		}
		*f = flexString(strconv.FormatInt(n, 10))
	}
	return nil
}

var stringType = reflect.TypeFor[string]()

// jsonValueKind describes a JSON value that is not a string as
// json.UnmarshalTypeError.Value does ("bool", "array", "number 1.5").
func jsonValueKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case 't', 'f':
		return "bool"
	case '[':
		return "array"
	case '{':
		return "object"
	}
	return "number " + string(b)
}

// idValue writes a stored sound id back as the vendor does: a number when
// it is one, else a string, null when empty.
func idValue(s string) any {
	if s == "" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return s
}

// seconds checks a duration field in whole seconds.
func seconds(field string, v int64) (time.Duration, error) {
	if v < 0 || v > maxSeconds {
		return 0, &dialect.FieldError{Field: field, Value: strconv.FormatInt(v, 10), Reason: fmt.Sprintf("must be between 0 and %d seconds", maxSeconds)}
	}
	return time.Duration(v) * time.Second, nil
}

// secs writes a duration in whole seconds.
func secs(d time.Duration) int64 { return int64(d / time.Second) }

// level checks a level or position.
func level(field string, v int64) (int, error) {
	if v < 0 || v > maxLevel {
		return 0, &dialect.FieldError{Field: field, Value: strconv.FormatInt(v, 10), Reason: fmt.Sprintf("must be between 0 and %d", maxLevel)}
	}
	return int(v), nil
}
