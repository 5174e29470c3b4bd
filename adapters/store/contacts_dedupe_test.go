package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/adapters/store/storetest"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// A campaign dedupes imported contacts by main number (the default) or
// by id only; either way an id is never listed twice, in one import or
// against what is stored.
func TestContactDedupeKeys(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		dedupeBy string
		// first and second imports: the ids inserted and the indexes rejected
		firstIn, secondIn   []string
		firstRej, secondRej []int
	}{
		{"", []string{"a", "c"}, []string{"e"}, []int{1, 3}, []int{0, 1}},
		{dialer.DedupeNumber, []string{"a", "c"}, []string{"e"}, []int{1, 3}, []int{0, 1}},
		{dialer.DedupeID, []string{"a", "b", "c"}, []string{"d", "e"}, []int{3}, []int{1}},
	}
	for _, tt := range tests {
		t.Run("by "+tt.dedupeBy, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				c := store.Campaign{Tenant: "t1", Name: "c", Config: dialer.Campaign{Mode: dialer.ModeCallback, DefaultRegion: "RU", DedupeBy: tt.dedupeBy}}
				if err := db.CreateCampaign(ctx, &c, now); err != nil {
					t.Fatal(err)
				}
				check := func(name string, cs []dialer.Contact, wantIn []string, wantRej []int) {
					t.Helper()
					n, rej, err := db.InsertContacts(ctx, c.ID, cs, now)
					var got []int
					for _, r := range rej {
						if r.Reason != dialer.ReasonDuplicate {
							t.Errorf("%s: rejection %+v is not a duplicate", name, r)
						}
						got = append(got, r.Index)
					}
					if err != nil || n != len(wantIn) || !slices.Equal(got, wantRej) {
						t.Fatalf("%s: inserted %d, rejected %v (%v); want %d, %v", name, n, got, err, len(wantIn), wantRej)
					}
				}
				// b shares a's number; the second a repeats an id.
				check("first import", []dialer.Contact{mustContact(t, "a", "+79215550001"), mustContact(t, "b", "89215550001"),
					mustContact(t, "c", "+79215550002"), mustContact(t, "a", "+79215550003")}, tt.firstIn, tt.firstRej)
				// d shares a stored number; c is a stored id.
				check("second import", []dialer.Contact{mustContact(t, "d", "+79215550002"), mustContact(t, "c", "+79215550009"),
					mustContact(t, "e", "+79215550004")}, tt.secondIn, tt.secondRej)
				var ids []string
				page, _, err := store.ContactSource{DB: db}.NextContacts(ctx, store.ACDID(c.ID), "", 100)
				if err != nil {
					t.Fatal(err)
				}
				for _, ct := range page {
					ids = append(ids, ct.ID)
				}
				if want := append(slices.Clone(tt.firstIn), tt.secondIn...); !slices.Equal(ids, want) {
					t.Errorf("stored %v, want %v", ids, want)
				}
			})
		})
	}
	// Without a unique index on numbers, concurrent imports into one list
	// still check against each other: one of them gets the number.
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := store.Campaign{Tenant: "t1", Name: "c", Config: dialer.Campaign{Mode: dialer.ModeIVR, DefaultRegion: "RU"}}
		if err := db.CreateCampaign(ctx, &c, now); err != nil {
			t.Fatal(err)
		}
		const n = 16
		start := make(chan struct{})
		if strings.HasSuffix(t.Name(), "postgres") {
			// Open the pool's connections first, so the imports overlap.
			var warm sync.WaitGroup
			for range n {
				warm.Go(func() { _, _ = db.ExecContext(ctx, "SELECT pg_sleep(0.05)") })
			}
			warm.Wait()
		}
		inserted := make(chan int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				k, _, err := db.InsertContacts(ctx, c.ID, []dialer.Contact{mustContact(t, fmt.Sprint("k", i), "+79215550001")}, now)
				if err != nil {
					t.Error(err)
				}
				inserted <- k
			})
		}
		close(start)
		wg.Wait()
		close(inserted)
		total := 0
		for k := range inserted {
			total += k
		}
		if total != 1 {
			t.Errorf("%d concurrent imports of one number inserted %d contacts, want 1", n, total)
		}
	})
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, _, err := db.InsertContacts(context.Background(), 987654, []dialer.Contact{mustContact(t, "a", "+79215550001")}, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("import into an unknown campaign: %v", err)
		}
	})
}
