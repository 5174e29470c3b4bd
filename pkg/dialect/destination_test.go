package dialect_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

func TestCheckDestination(t *testing.T) {
	for _, c := range []struct {
		dst string
		ok  bool
	}{
		{"333", true},
		{"+79215650644", true},
		{"ivr,s", true},
		{"ivr,s,1", true},
		{"from-queue,100,12", true},
		{strings.Repeat("1", dialect.MaxDestination), true},
		{"", false},
		{strings.Repeat("1", dialect.MaxDestination+1), false},
		{"33 3", false},
		{"333\n", false},
		{"a\xffb", false},
		{"ivr,", false},
		{",s", false},
		{"ivr,s,", false},
		{"ivr,s,0", false},
		{"ivr,s,x", false},
		{"ivr,s,1,2", false},
	} {
		err := dialect.CheckDestination(c.dst)
		if c.ok {
			if err != nil {
				t.Errorf("%q: %v", c.dst, err)
			}
			continue
		}
		var fe *dialect.FieldError
		if !errors.As(err, &fe) || fe.Field != "destination" {
			t.Errorf("%q: %v, want a field error on destination", c.dst, err)
		}
	}
}
