-- Run once, on the first start of an empty data directory (the official image's
-- /docker-entrypoint-initdb.d contract).
CREATE TABLE IF NOT EXISTS visits (
  id serial PRIMARY KEY,
  path text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO visits (path) VALUES ('/initdb');
