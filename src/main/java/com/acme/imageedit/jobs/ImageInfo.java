package com.acme.imageedit.jobs;

/** What the bytes of an uploaded image say they are; the file name and the declared content type are not trusted. */
record ImageInfo(String contentType, int width, int height) {

    long pixels() {
        return (long) width * height;
    }
}
