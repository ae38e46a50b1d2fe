-- Teams, their keys, their budgets and what they spent. Teams and config-declared keys are synchronised from
-- configuration at start-up; keys added through the admin API live here only.

create table teams (
    id                  text primary key,
    name                text not null,
    -- Null: no limit.
    daily_budget_usd    numeric(12, 6),
    monthly_budget_usd  numeric(12, 6),
    max_in_flight       integer,
    -- A team that left the configuration keeps its jobs (and they still finish) but its keys stop working.
    active              boolean not null default true,
    updated_at          timestamptz not null default now()
);

-- Jobs written before teams existed belong to the built-in team 'default'.
insert into teams (id, name, active) values ('default', 'Default team (before authentication)', false);

alter table jobs add constraint jobs_team_fk foreign key (team_id) references teams (id);
alter table jobs alter column team_id drop default;

create table team_keys (
    -- Hex SHA-256 of the key: the key itself is never stored.
    key_hash    text primary key check (key_hash ~ '^[0-9a-f]{64}$'),
    team_id     text not null references teams (id),
    label       text,
    source      text not null check (source in ('config', 'api')),
    created_at  timestamptz not null default now()
);
create index team_keys_team on team_keys (team_id);

-- What each team has committed per day and per month (UTC): reserved at acceptance, given back when a job ends
-- without being billed. A reservation is one conditional UPDATE, so concurrent submits cannot overspend.
create table budget_usage (
    team_id       text    not null references teams (id),
    period        text    not null check (period in ('DAY', 'MONTH')),
    period_start  date    not null,
    committed_usd numeric(14, 6) not null default 0 check (committed_usd >= 0),
    primary key (team_id, period, period_start)
);

-- One row per settled (terminal) job: what it cost the team.
create table spend_ledger (
    job_id      text primary key references jobs (id) on delete cascade,
    team_id     text not null references teams (id),
    model       text not null,
    outcome     text not null,
    error_code  text,
    price_usd   numeric(12, 6) not null,
    charged_usd numeric(12, 6) not null,
    created_at  timestamptz not null,
    settled_at  timestamptz not null default now()
);
create index spend_ledger_team_time on spend_ledger (team_id, settled_at);

-- What the job cost its team, set when it settles.
alter table jobs add column charged_usd numeric(12, 6);

-- Fair-share claims count a team's jobs in flight.
create index jobs_team_in_flight on jobs (team_id) where status in ('SUBMITTING', 'RUNNING');
create index jobs_team_queued on jobs (team_id, next_attempt_at) where status = 'QUEUED';

/*
 * Settlement happens in the transaction of the terminal transition itself, whichever statement makes it (a worker's,
 * the reaper's bulk expiry, a cancel), so that budgets and the ledger can never disagree with the jobs.
 *
 * The team pays what TheRouter bills us: a succeeded job; and a job we gave up on after TheRouter may have accepted it
 * (our deadline or a cancel while running, a submit whose answer was lost). Jobs that TheRouter itself reported failed,
 * expired or cancelled, or refused, or that never left the queue, are refunded.
 */
create function settle_job() returns trigger language plpgsql as $$
declare
    billed boolean;
begin
    billed := new.status = 'SUCCEEDED'
        or new.error_code = 'submit_outcome_unknown'
        or (new.status in ('CANCELLED', 'EXPIRED') and new.upstream_id is not null
            and coalesce(new.error_code, '') not like 'upstream\_%');
    new.charged_usd := case when billed then new.price_usd else 0 end;

    insert into spend_ledger (job_id, team_id, model, outcome, error_code, price_usd, charged_usd, created_at)
    values (new.id, new.team_id, new.model, new.status, new.error_code, new.price_usd, new.charged_usd,
            new.created_at);

    if not billed and new.price_usd > 0 then
        update budget_usage set committed_usd = greatest(committed_usd - new.price_usd, 0)
        where team_id = new.team_id
          and ((period = 'DAY' and period_start = (new.created_at at time zone 'UTC')::date)
            or (period = 'MONTH' and period_start = date_trunc('month', new.created_at at time zone 'UTC')::date));
    end if;
    return new;
end;
$$;

create trigger jobs_settle
    before update of status on jobs
    for each row
    when (old.status in ('QUEUED', 'SUBMITTING', 'RUNNING')
          and new.status in ('SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'))
    execute function settle_job();
