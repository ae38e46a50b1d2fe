package com.acme.imageedit.system;

import java.net.ConnectException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * Recognises a failure that means "the database is unreachable or overloaded", as opposed to a bug: the request may
 * succeed if repeated later, so it is answered 503 rather than 500.
 */
final class DatabaseOutage {

    /** r2dbc-pool's exceptions live in a shaded or optional package, so they are matched by simple name. */
    private static final Set<String> POOL_FAILURES = Set.of("PoolAcquireTimeoutException",
            "PoolAcquirePendingLimitException", "PoolShutdownException", "PostgresConnectionClosedException",
            "PostgresConnectionException");

    private DatabaseOutage() {
    }

    static boolean causedBy(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            // The transaction manager could not get or begin on a connection: whatever the I/O cause beneath (a pooled
            // connection whose server went away answers "Broken pipe", a NativeIoException), nothing was stored.
            if (t instanceof CannotCreateTransactionException
                    || t instanceof DataAccessResourceFailureException
                    || t instanceof TransientDataAccessResourceException
                    || t instanceof QueryTimeoutException
                    || t instanceof R2dbcNonTransientResourceException
                    || t instanceof R2dbcTransientResourceException
                    || t instanceof R2dbcTimeoutException
                    || t instanceof ConnectException
                    || t instanceof TimeoutException
                    || POOL_FAILURES.contains(t.getClass().getSimpleName())) {
                return true;
            }
        }
        return false;
    }
}
