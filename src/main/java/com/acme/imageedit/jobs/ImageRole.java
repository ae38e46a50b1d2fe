package com.acme.imageedit.jobs;

/** What an image of {@code job_images} is to its job (the {@code role} column). */
enum ImageRole {
    /** What the team sent to be edited. */
    INPUT,
    /** What TheRouter made of it. */
    RESULT
}
