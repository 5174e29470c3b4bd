package dialer_test

import (
	"fmt"
	"testing"

	"github.com/switchboard-cc/switchboard/pkg/dialer"
)

// BenchmarkNewContact normalises a contact with two numbers.
func BenchmarkNewContact(b *testing.B) {
	i := 0
	for b.Loop() {
		i++
		if _, _, err := dialer.NewContact(dialer.ContactInput{ID: "x", Numbers: []string{fmt.Sprintf("8921%07d, 8495%07d", i%10_000_000, i%10_000_000)}}, "RU"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemorySourceBatches pages 1,000,000 contacts in batches of 500.
func BenchmarkMemorySourceBatches(b *testing.B) {
	src := dialer.NewMemorySource()
	c, _, _ := dialer.NewContact(dialer.ContactInput{ID: "x", Numbers: []string{"89210000000"}}, "RU")
	for i := range 1_000_000 {
		c.ID = fmt.Sprint(i)
		c.Numbers = []dialer.Number{{Raw: "", E164: fmt.Sprintf("+7921%07d", i)}}
		src.Add("c", c)
	}
	b.ResetTimer()
	for b.Loop() {
		cursor, n := "", 0
		for {
			batch, next, _ := src.NextContacts(b.Context(), "c", cursor, 500)
			if len(batch) == 0 {
				break
			}
			n += len(batch)
			cursor = next
		}
		if n != 1_000_000 {
			b.Fatal(n)
		}
	}
}
