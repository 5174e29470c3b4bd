package dialect

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDestination is the longest destination TransferCall takes, in bytes.
const MaxDestination = 256

// CheckDestination checks a TransferCall destination, as a host does: a
// dialplan target "context,exten[,priority]" (priority a positive number),
// or one extension or number ("333", "+79215650644") that the host dials
// in its transfer context, the way a queue's timeout_transfer_dst is. No
// part may be empty or hold spaces or control characters, and the whole is
// at most MaxDestination bytes. It returns a *FieldError on "destination".
func CheckDestination(dst string) error {
	bad := func(reason string) error { return &FieldError{Field: "destination", Value: dst, Reason: reason} }
	switch {
	case dst == "":
		return &FieldError{Field: "destination", Reason: "is required"}
	case len(dst) > MaxDestination:
		return bad("must be at most " + strconv.Itoa(MaxDestination) + " bytes")
	case !utf8.ValidString(dst) || strings.ContainsFunc(dst, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return bad("must be UTF-8 without spaces or control characters")
	}
	parts := strings.Split(dst, ",")
	if len(parts) > 3 || slices.Contains(parts, "") {
		return bad("must be context,exten[,priority] or one extension or number")
	}
	if len(parts) == 3 {
		if n, err := strconv.Atoi(parts[2]); err != nil || n < 1 {
			return bad("priority must be a positive number")
		}
	}
	return nil
}
