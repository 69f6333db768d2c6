package centerdb

import (
	"context"
	"database/sql"
	"errors"

	"github.com/gatehouse-id/gatehouse/internal/center/console"
	"github.com/gatehouse-id/gatehouse/internal/store"
)

// The center console's settings (migration 0017_center_console.sql).

var _ console.SettingsStore = (*Store)(nil)

// ConsoleSettings returns the console's settings; with none stored, empty
// settings (nobody may sign in).
func (s *Store) ConsoleSettings(ctx context.Context) (*console.Settings, error) {
	var out console.Settings
	var updated int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT admin_group_id, read_only_group_id, updated_at
		FROM center_console_settings WHERE id = 1`).Scan(&out.AdminGroupID, &out.ReadOnlyGroupID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return &console.Settings{}, nil
	}
	if err != nil {
		return nil, err
	}
	out.Updated = fromMS(updated)
	return &out, nil
}

// PutConsoleSettings replaces the console's settings.
func (s *Store) PutConsoleSettings(ctx context.Context, st *console.Settings) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO center_console_settings (id, admin_group_id, read_only_group_id, updated_at)
			VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET admin_group_id = excluded.admin_group_id,
			read_only_group_id = excluded.read_only_group_id, updated_at = excluded.updated_at`,
			st.AdminGroupID, st.ReadOnlyGroupID, ms(st.Updated))
		return err
	})
}
