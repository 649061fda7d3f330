/** The one table of the insert references: a push as a row. */
export const REFERENCE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS pushes (
  id bigserial PRIMARY KEY,
  path text NOT NULL,
  body jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now())`;
