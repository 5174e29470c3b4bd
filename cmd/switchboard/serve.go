package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchboard-cc/switchboard/internal/service"
)

func newServeCommand() *cobra.Command {
	var demoEvery time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the contact centre service",
		Long: `serve runs Switchboard: the ACD and the outbound dialer on a database
(SQLite under --data-dir by default, PostgreSQL with --db postgres://…), the
event bus with webhooks and metrics, and Asterisk over ARI (--ari-url). With no
Asterisk configured it runs the built-in Asterisk emulator with a demo queue.
Settings come from flags, SWITCHBOARD_… variables and --config FILE.yaml.`,
		Args: cobra.NoArgs,
	}
	s := bindSettings(cmd)
	cmd.Flags().DurationVar(&demoEvery, "demo-call-every", 20*time.Second, "with the emulator: place a demo inbound call this often (0: never)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := s.resolve(cmd)
		if err != nil {
			return err
		}
		log := newLogger(os.Stderr, cfg)
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		svc, err := service.New(ctx, cfg, service.Options{Logger: log, Demo: cfg.UsesEmulator(), DemoCallEvery: demoEvery})
		if err != nil {
			return err
		}
		return svc.Run(ctx)
	}
	return cmd
}
