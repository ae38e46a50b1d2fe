package com.acme.imageedit.jobs;

import java.util.List;
import java.util.Map;

/**
 * A submit as it arrived, before validation: every text field by name (a name may repeat), and every file part.
 * Multipart and JSON bodies both become one of these, so that one validator judges both alike.
 */
record EditForm(Map<String, List<String>> fields, List<Upload> uploads) {

    /** A file part: its field name and its bytes (already cut off at the size limit by the reader). */
    record Upload(String field, byte[] bytes) {
    }
}
