-- Keys the service makes for itself and that every replica must share, so that nothing breaks when an operator has
-- not configured one: the result-link signing keys when jobs.link-secret is empty (ResultLinks). The first replica
-- to start writes the first key; a rotation (POST /v1/admin/link-keys/rotate) retires the current one and writes a
-- new one. A retired key still verifies until retires_at, by when every link it signed has expired.
-- Whoever can read this table can sign result links, and could read the results themselves from job_images anyway.
create table service_keys (
    purpose    text        not null,
    -- the start of the key's SHA-256, as links name it
    key_id     text        not null,
    secret     bytea       not null,
    created_at timestamptz not null default now(),
    retires_at timestamptz,
    primary key (purpose, key_id)
);
-- One current (signing) key per purpose: replicas starting together cannot both create one.
create unique index service_keys_one_current on service_keys (purpose) where retires_at is null;
