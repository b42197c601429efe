-- A small example schema for a bio-AI platform: biological samples, the documents
-- (protocols, papers, lab notes) attached to them, and the embedding jobs that index
-- documents into the vector store. Applied once; change it by adding 03_..., 04_...
-- files, or run `biodev up --reseed` after editing on a throwaway database.

CREATE TABLE IF NOT EXISTS samples (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  external_id text        NOT NULL UNIQUE,           -- the lab's own identifier
  organism    text        NOT NULL,
  tissue      text,
  collected_on date,
  metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS documents (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sample_id   bigint      REFERENCES samples (id) ON DELETE SET NULL,
  title       text        NOT NULL,
  kind        text        NOT NULL CHECK (kind IN ('protocol', 'paper', 'lab_note', 'report')),
  s3_key      text        NOT NULL UNIQUE,           -- object key in the documents bucket
  sha256      text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS documents_sample_id_idx ON documents (sample_id);

CREATE TABLE IF NOT EXISTS embedding_jobs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id  bigint      NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  model        text        NOT NULL,
  collection   text        NOT NULL,                 -- Qdrant collection written to
  status       text        NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'running', 'done', 'failed')),
  chunks       integer     NOT NULL DEFAULT 0 CHECK (chunks >= 0),
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
CREATE INDEX IF NOT EXISTS embedding_jobs_pending_idx
  ON embedding_jobs (created_at) WHERE status IN ('queued', 'running');

-- Seed rows, keyed on natural identifiers so running this again adds nothing.
INSERT INTO samples (external_id, organism, tissue, collected_on, metadata) VALUES
  ('S-0001', 'Homo sapiens', 'liver',  DATE '2024-03-02', '{"donor_age": 54, "rin": 8.1}'),
  ('S-0002', 'Mus musculus', 'brain',  DATE '2024-03-05', '{"strain": "C57BL/6J"}'),
  ('S-0003', 'Homo sapiens', 'plasma', DATE '2024-03-11', '{"fasting": true}')
ON CONFLICT (external_id) DO NOTHING;

INSERT INTO documents (sample_id, title, kind, s3_key)
SELECT s.id, d.title, d.kind, d.s3_key
FROM (VALUES
  ('S-0001', 'RNA extraction protocol v3',          'protocol', 'documents/protocols/rna-extraction-v3.pdf'),
  ('S-0002', 'Single-cell atlas of the mouse cortex', 'paper',    'documents/papers/mouse-cortex-atlas.pdf'),
  (NULL,     'Weekly lab notes 2024-W11',            'lab_note', 'documents/notes/2024-w11.md')
) AS d (external_id, title, kind, s3_key)
LEFT JOIN samples s ON s.external_id = d.external_id
ON CONFLICT (s3_key) DO NOTHING;

INSERT INTO embedding_jobs (document_id, model, collection, status, chunks, finished_at)
SELECT d.id, 'bge-small-en-v1.5', 'documents', j.status, j.chunks, j.finished_at
FROM (VALUES
  ('documents/protocols/rna-extraction-v3.pdf', 'done',   42, now()),
  ('documents/papers/mouse-cortex-atlas.pdf',   'queued', 0,  NULL::timestamptz)
) AS j (s3_key, status, chunks, finished_at)
JOIN documents d ON d.s3_key = j.s3_key
WHERE NOT EXISTS (SELECT FROM embedding_jobs e WHERE e.document_id = d.id);
