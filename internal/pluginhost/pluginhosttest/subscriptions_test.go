package pluginhosttest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
)

// ListSubscriptions pages as the other lists do: offsets as tokens, an
// empty NextToken on the last page.
func TestListSubscriptionsPages(t *testing.T) {
	h := newHost(t)
	ctx := context.Background()
	var want []string
	for i := range 5 {
		s, err := h.PutSubscription(ctx, "acc-a", dialect.Subscription{URL: fmt.Sprintf("https://x.example/h%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, s.ID)
	}
	var got []string
	token := ""
	for pages := 1; ; pages++ {
		p, err := h.ListSubscriptions(ctx, "acc-a", dialect.Page{Size: 2, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Subscriptions {
			got = append(got, s.ID)
		}
		if p.NextToken == "" {
			if pages != 3 {
				t.Errorf("%d pages, want 3", pages)
			}
			break
		}
		if pages > 3 {
			t.Fatalf("no last page after %d", pages)
		}
		token = p.NextToken
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("listed %v, want %v", got, want)
	}
}
