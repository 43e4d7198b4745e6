package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	_ "modernc.org/sqlite" // the "sqlite" driver: SQLite in pure Go
)

// SQLStore is the production Store: SQLite in one file, through
// database/sql and the pure-Go driver modernc.org/sqlite, so a fresh
// machine needs nothing else.
type SQLStore struct{ db *sql.DB }

// OpenSQLStore opens (creating if need be) the database at path;
// ":memory:" keeps it in memory.
func OpenSQLStore(path string) (*SQLStore, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, fmt.Errorf("orders: open %s: %w", path, err)
	}
	// One connection: SQLite has one writer, and a :memory: database
	// lives in its connection.
	db.SetMaxOpenConns(1)
	_, err = db.Exec(`CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, item TEXT NOT NULL, qty INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS stock (item TEXT PRIMARY KEY, n INTEGER NOT NULL);`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("orders: create tables in %s: %w", path, err)
	}
	return &SQLStore{db: db}, nil
}

// Close closes the database.
func (s *SQLStore) Close() error { return s.db.Close() }

func (s *SQLStore) Place(ctx context.Context, o Order) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("place %s: %w", o.ID, err)
	}
	defer tx.Rollback()
	var one int
	switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM orders WHERE id = ?`, o.ID).Scan(&one); {
	case err == nil:
		return fmt.Errorf("place %s: %w", o.ID, ErrExists)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("place %s: %w", o.ID, err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE stock SET n = n - ? WHERE item = ? AND n >= ?`, o.Qty, o.Item, o.Qty)
	if err != nil {
		return fmt.Errorf("place %s: %w", o.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("place %s: %w", o.ID, ErrOutOfStock)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO orders (id, item, qty) VALUES (?, ?, ?)`, o.ID, o.Item, o.Qty); err != nil {
		return fmt.Errorf("place %s: %w", o.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("place %s: %w", o.ID, err)
	}
	return nil
}

func (s *SQLStore) Get(ctx context.Context, id string) (Order, error) {
	o := Order{ID: id}
	err := s.db.QueryRowContext(ctx, `SELECT item, qty FROM orders WHERE id = ?`, id).Scan(&o.Item, &o.Qty)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, fmt.Errorf("get %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Order{}, fmt.Errorf("get %s: %w", id, err)
	}
	return o, nil
}

func (s *SQLStore) Put(ctx context.Context, o Order) error {
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO orders (id, item, qty) VALUES (?, ?, ?)`, o.ID, o.Item, o.Qty)
	if err != nil {
		return fmt.Errorf("put %s: %w", o.ID, err)
	}
	return nil
}

func (s *SQLStore) Stock(ctx context.Context, item string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT n FROM stock WHERE item = ?`, item).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("stock %s: %w", item, err)
	}
	return n, nil
}

func (s *SQLStore) SetStock(ctx context.Context, item string, n int) error {
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO stock (item, n) VALUES (?, ?)`, item, n)
	if err != nil {
		return fmt.Errorf("set stock %s: %w", item, err)
	}
	return nil
}
