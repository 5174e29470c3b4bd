package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/switchboard-cc/switchboard/adapters/store"
	"github.com/switchboard-cc/switchboard/internal/config"
)

// settings binds the service's settings (flags, SWITCHBOARD_ variables, a
// YAML file) to a command.
type settings struct {
	cfg  *config.Config
	file string
}

func bindSettings(cmd *cobra.Command) *settings {
	s := &settings{cfg: config.Bind(cmd.Flags(), config.Defaults())}
	cmd.Flags().StringVar(&s.file, "config", "", "YAML configuration file (keys are the flag names)")
	return s
}

// resolve fills what the flags left open from the environment and the file.
func (s *settings) resolve(cmd *cobra.Command) (config.Config, error) {
	file := s.file
	if file == "" {
		file = os.Getenv(config.EnvPrefix + "CONFIG")
	}
	if err := config.Resolve(cmd.Flags(), s.cfg, file, os.Getenv); err != nil {
		return config.Config{}, err
	}
	return *s.cfg, nil
}

func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens the configured database and brings its schema up to date.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*store.DB, error) {
	db, err := store.Open(ctx, store.Config{DSN: cfg.DB, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	if migrate {
		applied, err := db.MigrateUp(ctx)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
		if len(applied) > 0 {
			log.Info("database migrated", "applied", applied)
		}
	}
	return db, nil
}
