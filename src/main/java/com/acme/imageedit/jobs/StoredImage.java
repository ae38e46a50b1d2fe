package com.acme.imageedit.jobs;

/** An image as stored in {@code job_images}. */
record StoredImage(String contentType, byte[] bytes) {
}
