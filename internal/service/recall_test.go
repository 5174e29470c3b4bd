package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
	"github.com/switchboard-cc/switchboard/internal/config"
	"github.com/switchboard-cc/switchboard/internal/service"
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/pkg/dialer"
	"github.com/switchboard-cc/switchboard/pkg/telephony"
	"github.com/switchboard-cc/switchboard/testenv/asterisk"
)

// A recall of a finished contact's second number, asked through the host
// API (as udesk's recall does), survives a restart of the service before
// it is due: the restarted service dials that number once, at the time
// asked, and the contact is finished again (the campaign's redial policy,
// which would call a busy number again, does not follow); the contact's
// try count (udesk's call_count) goes on from its earlier tries.
func TestRecallSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	const first, second = "+79217770001", "+79217770002"
	run := func() (*service.Service, func()) {
		cfg := config.Defaults()
		cfg.Addr, cfg.DataDir = "127.0.0.1:0", dir
		sctx, cancel := context.WithCancel(ctx)
		svc, err := service.New(sctx, cfg, service.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- svc.Run(sctx) }()
		stopped := false
		stop := func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("service did not stop within 15 s")
			}
		}
		t.Cleanup(stop)
		for _, n := range []string{first, second} {
			if err := svc.Emulator().SetEndpoint("customers", n, asterisk.Behaviour{Result: asterisk.ResultBusy}); err != nil {
				t.Fatal(err)
			}
		}
		return svc, stop
	}
	attempts := func(svc *service.Service, tenant string, id int64) []store.Attempt {
		t.Helper()
		as, err := svc.Campaigns().Attempts(ctx, tenant, id, "k")
		if err != nil {
			t.Fatal(err)
		}
		return as
	}
	finished := func(svc *service.Service, id int64) bool {
		row, err := svc.DB().ContactRow(ctx, id, "k")
		return err == nil && row.Status == dialer.ContactFinished
	}

	svc, stop := run()
	acct, _, err := accounts.Create(ctx, svc.DB(), accounts.Request{Dialect: "udesk"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Busy numbers are redialled once, a second later: two rounds of both numbers.
	c, err := svc.Campaigns().CreateCampaign(ctx, acct.ID, dialer.Campaign{
		Name: "recall", Mode: dialer.ModeIVR, DefaultRegion: "RU", Start: dialer.Start{Mode: dialer.StartManual},
		Destination: dialer.Destination{Kind: dialer.DestDialplan, Dialplan: telephony.DialplanTarget{Context: "agents", Extension: "s", Priority: 1}},
		Redial:      dialer.RedialPolicy{Rules: map[telephony.Outcome]dialer.RedialRule{telephony.OutcomeBusy: {Count: 1, Intervals: []time.Duration{time.Second}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := svc.Campaigns().Import(ctx, acct.ID, c.ID, []dialer.ContactInput{{ID: "k", Numbers: []string{first, second}}}); err != nil || res.Imported != 1 {
		t.Fatalf("import %+v %v", res, err)
	}
	if err := svc.Campaigns().Start(ctx, acct.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the contact's two rounds done", func() bool { return finished(svc, c.ID) })
	if as := attempts(svc, acct.ID, c.ID); len(as) != 4 {
		t.Fatalf("first run: %d attempts, want 4 (two rounds of two numbers): %+v", len(as), as)
	}

	at := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
	if err := svc.HostAPI("udesk").RedialContact(ctx, acct.ID, store.ACDID(c.ID), dialect.Redial{Number: second, At: at}); err != nil {
		t.Fatal(err)
	}
	row, err := svc.DB().ContactRow(ctx, c.ID, "k")
	if err != nil || row.Status != dialer.ContactDelayed || row.NextNumber != second || !row.NextOnce || !row.NextDue.Equal(at.UTC()) {
		t.Fatalf("stored recall: %+v %v; want delayed to %v, number %s, once", row, err, at, second)
	}
	stop()
	if time.Now().After(at) {
		t.Fatal("the first run took until the recall was due: the test did not restart before it")
	}

	svc, _ = run()
	eventually(t, "the contact done again after the recall", func() bool { return finished(svc, c.ID) })
	// Long enough for the redial policy's next call (1 s) had it been followed.
	time.Sleep(2500 * time.Millisecond)
	as := attempts(svc, acct.ID, c.ID)
	if len(as) != 5 {
		t.Fatalf("%d attempts, want 5 (the recall once): %+v", len(as), as)
	}
	last := as[4]
	if last.Number != second || last.Try != 3 || last.StartedAt.Before(at.Add(-time.Millisecond)) {
		t.Errorf("the recalled call: number %s try %d at %v; want %s, try 3, not before %v", last.Number, last.Try, last.StartedAt, second, at)
	}
	row, err = svc.DB().ContactRow(ctx, c.ID, "k")
	if err != nil || row.Status != dialer.ContactFinished || row.Tries != 3 || row.NextOnce || row.NextNumber != "" {
		t.Errorf("contact after the recall: %+v %v; want finished, 3 tries", row, err)
	}
	page, err := svc.HostAPI("udesk").ListContacts(ctx, acct.ID, store.ACDID(c.ID), dialect.Page{})
	if err != nil || len(page.Contacts) != 1 || page.Contacts[0].Tries != 3 {
		t.Errorf("host contacts %+v %v; want k with 3 tries (udesk call_count)", page, err)
	}
}
