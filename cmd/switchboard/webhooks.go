package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/adminapi"
)

func newWebhooksCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "webhooks", Short: "Inspect and replay webhook deliveries that exhausted their retries"}

	var f store.DeliveryFilter
	var asJSON bool
	list := &cobra.Command{Use: "dead-letters", Short: "List dead deliveries", Args: cobra.NoArgs}
	ls := bindSettings(list)
	list.Flags().StringVar(&f.SubscriptionID, "subscription", "", "only this subscription's")
	list.Flags().StringVar(&f.Tenant, "tenant", "", "only this tenant's")
	list.Flags().Int64Var(&f.AfterSeq, "after", 0, "page after this sequence number")
	list.Flags().IntVar(&f.Limit, "limit", 100, "at most this many (1–1000)")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		if f.Limit < 1 || f.Limit > 1000 {
			return fmt.Errorf("--limit: must be between 1 and 1000")
		}
		return withStore(cmd, ls, true, func(db *store.DB) error {
			ds, err := db.DeadLetters(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				for _, d := range ds {
					if err := enc.Encode(adminapi.FromDelivery(d)); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSEQ\tSUBSCRIPTION\tTENANT\tEVENT\tATTEMPTS\tLAST ERROR")
			for _, d := range ds {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.Seq, d.SubscriptionID, d.Tenant, d.EventType, d.Attempts, d.LastError)
			}
			return tw.Flush()
		})
	}

	replay := &cobra.Command{Use: "replay ID...", Short: "Send dead deliveries again (from the first retry)", Args: cobra.MinimumNArgs(1)}
	rs := bindSettings(replay)
	replay.RunE = func(cmd *cobra.Command, ids []string) error {
		return withStore(cmd, rs, true, func(db *store.DB) error {
			n, err := db.ReplayDeadLetters(cmd.Context(), ids, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "replayed %d of %d (the running service sends them within a second)\n", n, len(ids))
			return nil
		})
	}
	cmd.AddCommand(list, replay)
	return cmd
}
