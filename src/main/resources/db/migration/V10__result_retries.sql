-- A succeeded job whose result cannot be fetched as an image (an SVG, an HTML page, an empty body, an error) is tried
-- again with a growing pause instead of at every poll until its deadline, and given up after dispatch.result-retry's
-- tries or time: these columns carry the count and the first failure across replicas and restarts.
alter table jobs add column result_attempts integer not null default 0;
alter table jobs add column result_failing_since timestamptz;

/*
 * Settlement as in V2, with one more billed ending: upstream_result_unusable. TheRouter ran the job and reported it
 * succeeded, so it billed it, although the result it serves is not an image we can store; the team pays what
 * TheRouter bills us.
 */
create or replace function settle_job() returns trigger language plpgsql as $$
declare
    billed boolean;
begin
    billed := new.status = 'SUCCEEDED'
        or new.error_code in ('submit_outcome_unknown', 'upstream_result_unusable')
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
