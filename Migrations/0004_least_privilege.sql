-- Offload schema, version 4: least privilege for the enqueue API.
--
-- An app that only enqueues should need nothing but EXECUTE on offload.enqueue, offload.enqueue_many
-- and offload.send: no right on any table, so a compromised API process can add jobs but never read,
-- change or delete them. The three functions therefore run with their owner's rights (SECURITY
-- DEFINER), the owner being the role that ran the migrations.
--
-- A SECURITY DEFINER function must not let its caller choose what its unqualified names mean, so
-- each one gets a fixed search_path: pg_catalog first, pg_temp last (PostgreSQL docs, "Writing
-- SECURITY DEFINER Functions Safely"). Every Offload object in them is schema-qualified already.
-- A later migration that replaces one of these functions (CREATE OR REPLACE resets its attributes)
-- must repeat SECURITY DEFINER and SET search_path.
--
-- EXECUTE is revoked from PUBLIC, so only roles granted it (scripts/create-roles.sql:
-- offload_enqueuer) or the owner can enqueue through them; superusers always can.

ALTER FUNCTION offload.enqueue(text, jsonb, text, timestamptz, integer, integer, text, text[])
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;

ALTER FUNCTION offload.enqueue_many(text[], jsonb[], text[], timestamptz[], integer[], integer[], text[])
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;

ALTER FUNCTION offload.send(text, jsonb, text)
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;

REVOKE EXECUTE ON FUNCTION offload.enqueue(text, jsonb, text, timestamptz, integer, integer, text, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION offload.enqueue_many(text[], jsonb[], text[], timestamptz[], integer[], integer[], text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION offload.send(text, jsonb, text) FROM PUBLIC;
