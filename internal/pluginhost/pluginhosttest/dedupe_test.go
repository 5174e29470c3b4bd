package pluginhosttest_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// Imports dedupe by main number, as the service's store does, unless the
// campaign's spec says "dedupe_by": "id"; ids are never repeated.
func TestImportDedupe(t *testing.T) {
	for _, tc := range []struct {
		spec     string
		accepted int
		rejected []int
	}{
		{`{"mode":"callback"}`, 2, []int{1, 3}},
		{`{"mode":"callback","dedupe_by":"number"}`, 2, []int{1, 3}},
		{`{"mode":"callback","dedupe_by":"id"}`, 3, []int{3}},
	} {
		h := newHost(t)
		ctx := context.Background()
		cmp, err := h.PutObject(ctx, "acc-a", dialect.Object{Kind: dialect.KindCampaign, Spec: json.RawMessage(tc.spec)})
		if err != nil {
			t.Fatal(err)
		}
		res, err := h.ImportContacts(ctx, "acc-a", cmp.ID, func(yield func(dialect.Contact, error) bool) {
			for _, c := range []dialect.Contact{
				{ID: "a", Numbers: []string{"89215650644"}},
				{ID: "b", Numbers: []string{"+7 921 565-06-44"}}, // a's main number
				{ID: "c", Numbers: []string{"89215650645", "89215650644"}},
				{ID: "a", Numbers: []string{"89215650646"}}, // a repeated id
			} {
				if !yield(c, nil) {
					return
				}
			}
		})
		var got []int
		for _, r := range res.Rejected {
			got = append(got, r.Index)
		}
		if err != nil || res.Accepted != tc.accepted || !slices.Equal(got, tc.rejected) {
			t.Errorf("%s: accepted %d, rejected %v (%v); want %d, %v", tc.spec, res.Accepted, got, err, tc.accepted, tc.rejected)
		}
	}
}
