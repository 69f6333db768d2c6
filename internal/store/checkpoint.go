package store

import (
	"database/sql"
	"sync"
	"time"
)

// checkpointEvery is how long the checkpointer lets commits accumulate
// before it copies them into the database file.
const checkpointEvery = 100 * time.Millisecond

// checkpointer copies a SQLite database's write-ahead log back into the
// database file in the background, on a connection of its own, with
// PRAGMA wal_checkpoint(PASSIVE): it never waits for readers or the writer,
// and the writer restarts the log from its beginning once everything is
// copied (https://sqlite.org/wal.html#checkpointing). Left to the writer
// (wal_autocheckpoint), the copy runs inside a commit and holds up every
// write queued behind it: 5 s of an initial sync of 1,000,000 memberships
// (docs/benchmarks.md). The writer's own automatic checkpoint stays as the
// backstop for when this one falls behind.
type checkpointer struct {
	conn *sql.DB
	wake chan struct{} // one pending poke is enough
	stop chan struct{}
	done chan struct{}
	once sync.Once // DB.Close may be called more than once
	err  error
}

func startCheckpointer(conn *sql.DB) *checkpointer {
	conn.SetMaxOpenConns(1)
	c := &checkpointer{conn: conn, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// poke tells the checkpointer that a commit added to the log; it never
// blocks. A nil checkpointer (PostgreSQL) ignores it.
func (c *checkpointer) poke() {
	if c == nil {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointEvery):
		}
		// An error (SQLITE_BUSY while another process checkpoints, say)
		// leaves the frames for the next round or the writer's backstop.
		c.conn.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
	}
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		c.err = c.conn.Close()
	})
	return c.err
}
