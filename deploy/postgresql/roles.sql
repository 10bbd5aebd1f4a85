-- Komunalka's PostgreSQL roles. Run once as a superuser, connected to Komunalka's database
-- (README, "Production"):
--   sudo -u postgres createdb komunalka
--   sudo -u postgres psql -d komunalka -f deploy/postgresql/roles.sql
--   sudo -u postgres psql -c "\password komunalka_owner" -c "\password komunalka_app"
-- Running it again changes nothing.
--
-- komunalka_owner owns the schema and its tables: migrations run as it (komunalka-migrate).
-- komunalka_app is what the services connect as: it reads and writes rows, uses sequences and
-- temporary tables (the registry import stages rows in one), and cannot create, alter, drop or
-- truncate the tables.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'komunalka_owner') THEN
        CREATE ROLE komunalka_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'komunalka_app') THEN
        CREATE ROLE komunalka_app LOGIN;
    END IF;
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO komunalka_app', current_database());
    EXECUTE format('GRANT ALL ON DATABASE %I TO komunalka_owner', current_database());
END
$$;

-- The schema belongs to the owner; nobody else may create in it.
ALTER SCHEMA public OWNER TO komunalka_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO komunalka_app;

-- Tables and sequences the owner's migrations create from now on...
ALTER DEFAULT PRIVILEGES FOR ROLE komunalka_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO komunalka_app;
ALTER DEFAULT PRIVILEGES FOR ROLE komunalka_owner IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO komunalka_app;
-- ...and those already there (a database migrated before the roles were made).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO komunalka_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO komunalka_app;
