-- A job's reservation of its price against its team's daily and monthly budgets (UTC), written by the statement that
-- inserts the job, and applied to budget_usage by a deferred constraint trigger when the job's transaction commits.
-- Why at commit: every submit of a team needs the team's two budget_usage rows, and a row lock is held until the end
-- of the transaction. Taken by a statement of the transaction, the lock was held over the service's round trip to
-- COMMIT, and a team's submits queued behind each other (issue #8: 16 of 20 connections waiting on it, the holder
-- "idle in transaction"). Taken at commit, it is held only for the commit itself. Still one transaction: a refused
-- reservation fails the COMMIT, and the job, its image and its idempotency key are rolled back with it.
create table budget_reservations (
    job_id      text primary key references jobs (id) on delete cascade,
    team_id     text          not null,
    price_usd   numeric(12, 6) not null,
    reserved_at timestamptz   not null default now()
);

-- Raises SQLSTATE P0402 (budget_exceeded) when either period's limit (teams.daily_budget_usd, monthly_budget_usd;
-- null = no limit) would be exceeded; both rows or neither are changed. Day first, then month, as settle_job() and
-- every other writer of these rows, so that no two transactions wait on each other in a cycle.
create function apply_budget_reservation() returns trigger language plpgsql as $$
declare
    day_limit   numeric;
    month_limit numeric;
    applied     integer;
begin
    select daily_budget_usd, monthly_budget_usd into day_limit, month_limit from teams where id = new.team_id;
    insert into budget_usage as b (team_id, period, period_start, committed_usd)
    select new.team_id, p.period, p.period_start, new.price_usd
    from (values (1, 'DAY', (new.reserved_at at time zone 'UTC')::date, day_limit),
                 (2, 'MONTH', date_trunc('month', new.reserved_at at time zone 'UTC')::date, month_limit))
         as p (ord, period, period_start, lim)
    where p.lim is null or new.price_usd <= p.lim
    order by p.ord
    on conflict (team_id, period, period_start) do update
        set committed_usd = b.committed_usd + excluded.committed_usd
        where (case b.period when 'DAY' then day_limit else month_limit end) is null
           or b.committed_usd + excluded.committed_usd <= (case b.period when 'DAY' then day_limit else month_limit end);
    get diagnostics applied = row_count;
    if applied < 2 then
        raise exception 'budget_exceeded: team % cannot reserve %', new.team_id, new.price_usd using errcode = 'P0402';
    end if;
    return null;
end $$;

create constraint trigger apply_budget_reservation after insert on budget_reservations
    deferrable initially deferred for each row execute function apply_budget_reservation();
