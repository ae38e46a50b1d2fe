package com.acme.imageedit.simulator;

/**
 * A snapshot of the simulator's counters since start or the last reset. {@code GET /simulator/stats} serialises it as
 * JSON with these camelCase component names as keys.
 *
 * <p>Calls are counted by kind once they passed authentication and the rate limit; a call refused with 401 counts
 * only in {@code unauthorized}, one refused by the rate limit only in {@code rateLimited429s} (and in
 * {@code accountRequests}).
 *
 * @param submitsAccepted  submits answered 202 (each created one job)
 * @param submitsRejected  submits answered 400 (missing/invalid fields, no {@code async=true}, {@code [sim:reject]})
 * @param submit429s       submits answered 429 by the random failure mix
 * @param submit5xxs       submits answered 502 by the random failure mix
 * @param submitTimeouts   accepted submits whose 202 was held back to provoke a client timeout (also in accepted)
 * @param rateLimited429s  authenticated requests of any kind refused by the account's rate limit
 * @param unauthorized     {@code /v1} calls refused with 401
 * @param polls            {@code GET /v1/jobs/{id}} calls served (including 404s)
 * @param contentCalls     {@code GET /v1/jobs/{id}/content} calls served
 * @param fileDownloads    {@code GET /files/{id}.png} calls served, on the simulator's origin or its second host
 * @param jobsQueued       accepted jobs that are {@code queued} right now
 * @param jobsInProgress   accepted jobs that are {@code in_progress} right now
 * @param jobsSucceeded    jobs that reached {@code succeeded} by now
 * @param jobsFailed       jobs that reached {@code failed} by now
 * @param jobsExpired      jobs that reached {@code expired} by now
 * @param duplicateSubmits accepted submits whose prompt had been accepted before: with one unique prompt per job,
 *                         anything above 0 means some job was submitted (and paid) twice
 * @param distinctPrompts  distinct prompts among accepted submits
 * @param outageAnswers    {@code /v1} calls answered with the status of a {@link SimulatorOutage} instead
 * @param connectionResets answers broken off mid-response (outage resets and {@code [sim:reset]})
 * @param accountRequests  every request to the simulator's origin that carried a valid key (submits, polls,
 *                         {@code /content}, result files fetched with the key), answered or refused by the rate limit:
 *                         what the account's limit counts
 * @param lengthRequired   requests refused with 411 because their body came chunked (with
 *                         {@code simulator.refuse-chunked-requests})
 */
public record SimulatorStats(
        long submitsAccepted,
        long submitsRejected,
        long submit429s,
        long submit5xxs,
        long submitTimeouts,
        long rateLimited429s,
        long unauthorized,
        long polls,
        long contentCalls,
        long fileDownloads,
        long jobsQueued,
        long jobsInProgress,
        long jobsSucceeded,
        long jobsFailed,
        long jobsExpired,
        long duplicateSubmits,
        long distinctPrompts,
        long outageAnswers,
        long connectionResets,
        long accountRequests,
        long lengthRequired) {
}
