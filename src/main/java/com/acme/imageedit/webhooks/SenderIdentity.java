package com.acme.imageedit.webhooks;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;

import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * This replica's name in the outbox's {@code leased_by} and the delivery log: {@code dispatch.worker-id} when set, so
 * that an operator sees one name per replica, otherwise host name, process id and a random suffix.
 */
@Component
class SenderIdentity {

    private final String id;

    SenderIdentity(Environment environment) {
        String configured = environment.getProperty("dispatch.worker-id");
        this.id = configured != null && !configured.isBlank() ? configured : defaultId();
    }

    String id() {
        return id;
    }

    private static String defaultId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
