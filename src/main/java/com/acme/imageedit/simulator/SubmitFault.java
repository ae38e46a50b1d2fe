package com.acme.imageedit.simulator;

/** What the simulated edge does with a valid submit. */
enum SubmitFault {
    NONE,
    /** 429 without creating a job. */
    TOO_MANY_REQUESTS,
    /** 502 without creating a job. */
    BAD_GATEWAY,
    /** Creates the job, answers late. */
    TIMEOUT
}
