package com.acme.imageedit.system;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;

import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * This replica's one name in {@code leased_by} columns and delivery logs, whichever worker (job dispatch, webhook
 * sending) holds the lease: {@code dispatch.worker-id} when set, otherwise host name, process id and a random suffix,
 * so that an operator sees one name per process.
 */
@Component
public class ReplicaIdentity {

    private final String id;

    ReplicaIdentity(Environment environment) {
        String configured = environment.getProperty("dispatch.worker-id");
        this.id = configured != null && !configured.isBlank() ? configured : defaultId();
    }

    public String id() {
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
