package com.acme.imageedit.webhooks;

import java.net.InetAddress;
import java.net.URI;

/**
 * A receiver URL that passed the guard, with the address it was checked against: the sender connects to exactly this
 * address, so that a DNS answer changed after the check (rebinding) cannot redirect the request.
 */
record WebhookTarget(URI uri, String host, int port, boolean secure, InetAddress address) {
}
