package com.acme.imageedit.webhooks;

import java.util.List;

/** The body of a create (missing fields take defaults) or an update (missing fields stay as they are). */
record SubscriptionRequest(String url, List<String> events, String description, Boolean enabled) {
}
