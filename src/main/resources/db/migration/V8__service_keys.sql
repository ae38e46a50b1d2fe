-- Keys the service makes for itself and that every replica must share, so that nothing breaks when an operator has
-- not configured one: the result-link signing key when jobs.link-secret is empty (ResultLinks). The first replica
-- to start writes it (insert ... on conflict do nothing); every replica, now and after restarts, reads the same row.
-- Whoever can read this table can sign result links, and could read the results themselves from job_images anyway.
create table service_keys (
    purpose    text        not null,
    key_id     text        not null,
    secret     bytea       not null,
    created_at timestamptz not null default now(),
    primary key (purpose, key_id)
);
