package com.acme.imageedit.webhooks;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Resolves a receiver's host name. Blocking: callers run it off the event loop. */
interface HostResolver {

    List<InetAddress> resolve(String host) throws UnknownHostException;
}
