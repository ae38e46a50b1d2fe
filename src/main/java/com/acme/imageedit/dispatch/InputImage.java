package com.acme.imageedit.dispatch;

/** A job's input image, loaded just before its submit. */
record InputImage(String contentType, byte[] bytes) {
}
