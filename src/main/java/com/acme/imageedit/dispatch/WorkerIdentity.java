package com.acme.imageedit.dispatch;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;

import org.springframework.stereotype.Component;

/** This replica's name in {@code leased_by}: unique per process, readable by an operator. */
@Component
class WorkerIdentity {

    private final String id;

    WorkerIdentity(DispatchProperties properties) {
        String configured = properties.workerId();
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
