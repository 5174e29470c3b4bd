package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/accounts"
)

func newMigrateCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Manage the database schema (up, down, status)"}
	for _, sub := range []struct {
		use, short string
		run        func(w io.Writer, cmd *cobra.Command, s *settings) error
	}{
		{"up", "Apply every pending migration", migrateUp},
		{"down", "Roll back the last migration group", migrateDown},
		{"status", "List migrations and whether they are applied", migrateStatus},
	} {
		c := &cobra.Command{Use: sub.use, Short: sub.short, Args: cobra.NoArgs}
		s := bindSettings(c)
		run := sub.run
		c.RunE = func(cmd *cobra.Command, _ []string) error { return run(cmd.OutOrStdout(), cmd, s) }
		cmd.AddCommand(c)
	}
	return cmd
}

// withStore resolves the settings, opens the database (bringing its schema
// up to date when migrate is set) and runs fn with it.
func withStore(cmd *cobra.Command, s *settings, migrate bool, fn func(db *store.DB) error) error {
	cfg, err := s.resolve(cmd)
	if err != nil {
		return err
	}
	db, err := openStore(cmd.Context(), cfg, newLogger(io.Discard, cfg), migrate)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

func migrateUp(w io.Writer, cmd *cobra.Command, s *settings) error {
	return withStore(cmd, s, false, func(db *store.DB) error {
		return printMigrations(w, "applied", "nothing to migrate")(db.MigrateUp(cmd.Context()))
	})
}

func migrateDown(w io.Writer, cmd *cobra.Command, s *settings) error {
	return withStore(cmd, s, false, func(db *store.DB) error {
		return printMigrations(w, "rolled back", "nothing to roll back")(db.MigrateDown(cmd.Context()))
	})
}

// printMigrations prints each migration name after verb, or none.
func printMigrations(w io.Writer, verb, none string) func([]string, error) error {
	return func(names []string, err error) error {
		if err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(w, none)
		}
		for _, m := range names {
			fmt.Fprintln(w, verb, m)
		}
		return nil
	}
}

func migrateStatus(w io.Writer, cmd *cobra.Command, s *settings) error {
	return withStore(cmd, s, false, func(db *store.DB) error {
		st, err := db.MigrationStatus(cmd.Context())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "MIGRATION\tSTATUS")
		for _, m := range st {
			state := "pending"
			if m.Applied {
				state = "applied"
			}
			fmt.Fprintf(tw, "%s\t%s\n", m.Name, state)
		}
		return tw.Flush()
	})
}

func newAccountsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "accounts", Short: "Provision and list tenants (one account per dialect customer)"}

	var req accounts.Request
	var asJSON bool
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a tenant and print its credentials (shown once)",
		Args:  cobra.NoArgs,
	}
	cs := bindSettings(create)
	create.Flags().StringVar(&req.Dialect, "dialect", "", "ringme, twin24, zxycall or udesk (required)")
	create.Flags().StringVar(&req.Name, "name", "", "the tenant's name")
	create.Flags().StringVar(&req.Email, "email", "", "the tenant's email (twin24 and udesk log in with it)")
	create.Flags().BoolVar(&asJSON, "json", false, "print the credentials as one JSON object")
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		return withStore(cmd, cs, true, func(db *store.DB) error {
			a, creds, err := accounts.Create(cmd.Context(), db, req, time.Now())
			if err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintf(cmd.OutOrStdout(), "account %s (%s, %s)\n", a.ID, a.Dialect, a.Name)
			}
			return printCredentials(cmd.OutOrStdout(), creds, asJSON)
		})
	}

	var dialect string
	list := &cobra.Command{Use: "list", Short: "List tenants", Args: cobra.NoArgs}
	ls := bindSettings(list)
	list.Flags().StringVar(&dialect, "dialect", "", "only this dialect's tenants")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		return withStore(cmd, ls, true, func(db *store.DB) error { return listAccounts(cmd, db, dialect, asJSON) })
	}

	rotate := &cobra.Command{Use: "rotate ACCOUNT_ID", Short: "Replace a tenant's secret and print the new credentials", Args: cobra.ExactArgs(1)}
	rs := bindSettings(rotate)
	rotate.Flags().BoolVar(&asJSON, "json", false, "print the credentials as one JSON object")
	rotate.RunE = func(cmd *cobra.Command, args []string) error {
		return withStore(cmd, rs, true, func(db *store.DB) error {
			creds, err := accounts.Rotate(cmd.Context(), db, args[0], time.Now())
			if err != nil {
				return err
			}
			return printCredentials(cmd.OutOrStdout(), creds, asJSON)
		})
	}
	cmd.AddCommand(create, list, rotate)
	return cmd
}

// printCredentials prints credentials as one JSON object, or a line each.
func printCredentials(w io.Writer, creds accounts.Credentials, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(creds)
	}
	for _, k := range sortedKeys(creds) {
		fmt.Fprintf(w, "  %s: %s\n", k, creds[k])
	}
	return nil
}

func listAccounts(cmd *cobra.Command, db *store.DB, dialect string, asJSON bool) error {
	as, err := db.Accounts(cmd.Context(), dialect)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		for _, a := range as {
			if err := enc.Encode(map[string]string{"id": a.ID, "dialect": a.Dialect, "name": a.Name, "email": a.Email, "created_at": a.CreatedAt.Format(time.RFC3339)}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDIALECT\tNAME\tEMAIL\tCREATED")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Dialect, a.Name, a.Email, a.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
