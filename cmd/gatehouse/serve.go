package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/config"
)

func serveCmd() *cobra.Command {
	var path string
	var role, database, centerListen, directoryListen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the directory, the center, or both",
		Long: `Run Gatehouse. Settings come from the YAML file given with --config, then from
the environment (` + strings.Join(config.Env, ", ") + `), then from flags.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			override := map[string]*string{"role": (*string)(&cfg.Role), "database": &cfg.Database,
				"center-listen": &cfg.Center.Listen, "directory-listen": &cfg.Directory.Listen}
			values := map[string]string{"role": role, "database": database, "center-listen": centerListen,
				"directory-listen": directoryListen}
			for name, dst := range override {
				if cmd.Flags().Changed(name) {
					*dst = values[name]
				}
			}
			log := newLogger(cfg.Log.Level, cfg.Log.Format)
			in, err := start(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer in.close()
			return in.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&path, "config", "", "YAML configuration file")
	f.StringVar(&role, "role", "all", "which half to run: directory, center or all")
	f.StringVar(&database, "database", "", "SQLite file path, or a postgres:// URL")
	f.StringVar(&centerListen, "center-listen", "", "address of the center's listener")
	f.StringVar(&directoryListen, "directory-listen", "", "address of the directory's listener")
	return cmd
}
