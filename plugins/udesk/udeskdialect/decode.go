package udeskdialect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// object decodes a JSON object body and refuses attributes not in allowed,
// as Udesk does ("unknown attribute: x", code 2000). An empty body is an
// empty object.
func object(body []byte, allowed ...string) (map[string]json.RawMessage, *apiError) {
	m := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, errf(http.StatusBadRequest, CodeUnknown, "Unknown error", "the body is not a JSON object: %v", err)
		}
	}
	var unknown []string
	for k := range m {
		if !contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, errf(http.StatusBadRequest, CodeUnknown, "Unknown error", "unknown attribute: %s", unknown[0])
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// str reads a string attribute; absent or null is "", false.
func str(m map[string]json.RawMessage, key string) (string, bool, *apiError) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, badParam(key, "must be a string")
	}
	return s, true, nil
}

// integer reads an integer attribute given as a JSON number or a string of
// digits (Udesk's Rails coerces both); absent or null is 0, false.
func integer(m map[string]json.RawMessage, key string) (int64, bool, error) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, true, fmt.Errorf("%s must be an integer", key)
		}
		n = json.Number(strings.TrimSpace(s))
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(n), 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, true, fmt.Errorf("%s must be an integer (got %s)", key, raw)
		}
		v = int64(f)
	}
	return v, true, nil
}

// boolean reads a JSON true or false; anything else is an error.
func boolean(m map[string]json.RawMessage, key string) (bool, bool) {
	raw, ok := m[key]
	if !ok {
		return false, false
	}
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
