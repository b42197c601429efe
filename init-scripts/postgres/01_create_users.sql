-- Application role for biodev's default stack. Applied once by `biodev up` (recorded in
-- biodev_seed_ledger); safe to run again by hand: every step checks before it acts.
--
-- bio_app is what services connect as: it reads and writes data but owns nothing and
-- cannot change the schema. The password is a local-development default; override it by
-- adding a later script (e.g. 90_local_password.sql) rather than editing this one.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'bio_app') THEN
    CREATE ROLE bio_app LOGIN PASSWORD 'bio_app_dev_password';
  END IF;
END
$$;

DO $$
BEGIN
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO bio_app', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO bio_app;

-- Tables and sequences created later by the seeding user (02_schema.sql and after) are
-- usable by bio_app without another grant.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO bio_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO bio_app;
