package com.acme.imageedit.system;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Resolves a host name (a webhook receiver's, a result URL's). Blocking: callers run it off the event loop. */
public interface HostResolver {

    List<InetAddress> resolve(String host) throws UnknownHostException;
}
