package com.acme.imageedit.upstream;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLHandshakeException;

/** Turns HTTP statuses and transport exceptions into the typed {@link UpstreamException} the caller acts on. */
final class UpstreamFailures {

    /** Pool-acquire failures come from a shaded reactor-pool package, so they are recognised by simple name. */
    private static final Set<String> NOT_SENT_BY_NAME = Set.of("PoolAcquireTimeoutException",
            "PoolAcquirePendingLimitException", "NotSslRecordException");

    /** The error code of a request refused by the address policy ({@link AddressGuard}) or the scheme rule. */
    static final String ADDRESS_REFUSED = "address_refused";

    private UpstreamFailures() {
    }

    static UpstreamException forStatus(UpstreamCall call, String target, int status, String reason, String requestId,
            UpstreamError error, Duration retryAfter) {
        String message = call + " " + target + ": HTTP " + status + (reason.isEmpty() ? "" : " " + reason)
                + requestIdSuffix(requestId) + ": " + error.message();
        if (status == 404 && !call.isSubmit()) {
            return new UpstreamException.NotFound(message, error);
        }
        if (status == 408 || status == 429 || status >= 500 || status < 400) {
            // < 400 reaches here only as an unfollowed redirect or a 1xx: nothing was processed, so a retry is safe.
            return new UpstreamException.Retryable(message, status, error, retryAfter, null);
        }
        return new UpstreamException.Rejected(message, status, error);
    }

    /**
     * A failure without a usable response. Only a failure that provably happened before the request left us is
     * safe to resend blindly; for a submit anything later may have created (and billed) a job.
     */
    static UpstreamException forTransport(UpstreamCall call, String target, Throwable t) {
        if (t instanceof UpstreamException typed) {
            return typed;
        }
        AddressGuard.Refused refused = refusal(t);
        if (refused != null) {
            // the connection was never opened, and never will be: the address is not one we may call
            return new UpstreamException.Rejected(call + " " + target + ": " + refused.getMessage(), 0,
                    new UpstreamError(ADDRESS_REFUSED, null, refused.getMessage(), false));
        }
        if (neverSent(t)) {
            return new UpstreamException.Retryable(call + " " + target + ": not sent: " + describe(t), 0, null, null, t);
        }
        String message = call + " " + target + ": no answer: " + describe(t);
        if (call.isSubmit()) {
            return new UpstreamException.OutcomeUnknown(message, t);
        }
        return new UpstreamException.Retryable(message, 0, null, null, t);
    }

    private static AddressGuard.Refused refusal(Throwable t) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            if (c instanceof AddressGuard.Refused refused) {
                return refused;
            }
        }
        return null;
    }

    static boolean neverSent(Throwable t) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            if (c instanceof ConnectException // includes Netty's AnnotatedConnectException (connection refused)
                    || c instanceof UnknownHostException
                    || c instanceof NoRouteToHostException
                    || c instanceof io.netty.channel.ConnectTimeoutException
                    || c instanceof SSLHandshakeException
                    || NOT_SENT_BY_NAME.contains(c.getClass().getSimpleName())) {
                return true;
            }
        }
        return false;
    }

    static String requestIdSuffix(String requestId) {
        return requestId == null || requestId.isBlank() ? "" : " (x-request-id " + requestId + ")";
    }

    private static String describe(Throwable t) {
        Throwable root = t;
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        while (root.getCause() != null && seen.add(root)) {
            root = root.getCause();
        }
        String what = t instanceof TimeoutException ? "timed out" : t.getClass().getSimpleName() + ": " + t.getMessage();
        return root == t ? what : what + " (caused by " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }
}
