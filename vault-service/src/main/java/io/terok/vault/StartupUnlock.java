package io.terok.vault;

import io.terok.common.ServiceException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The vault's unlock at service start (passphrase tier, SQLCipher open with its key derivation, migrations), which runs
 * on its own thread while the server already answers. A call that needs the open vault {@linkplain #await waits} for
 * it (bounded); when it failed, such calls are refused with its reason until an unlock succeeds. Nothing is ever
 * answered from a locked vault: this only decides how long a call waits and what its refusal says.
 */
public final class StartupUnlock {
    /** How long a call waits for the unlock: longer than a passphrase command's usual run and a loaded key derivation. */
    public static final Duration WAIT = Duration.ofSeconds(30);

    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private volatile String failure = "";

    /** An unlock at start that is already over (the vault was built without one, as in tests of its parts). */
    static StartupUnlock none() {
        StartupUnlock u = new StartupUnlock();
        u.finished.complete(null);
        return u;
    }

    /** The unlock ended: the vault is open, or deliberately locked (held, no tier holds a passphrase) when {@code failure} is empty. */
    void finish(String failure) {
        this.failure = failure;
        finished.complete(null);
    }

    /** An unlock succeeded later (the operator's): the start's failure no longer explains a locked vault. */
    void recovered() {
        failure = "";
    }

    public boolean running() {
        return !finished.isDone();
    }

    /** Why the unlock at start failed; empty when it did not (or an unlock succeeded since). */
    public String failure() {
        return running() ? "" : failure;
    }

    /** Completes when the unlock at start is over (for callers that must not block, as the broker's event loop). */
    public CompletionStage<Void> whenFinished() {
        return finished.minimalCompletionStage();
    }

    /**
     * Waits up to {@code limit} for the unlock at start to end; refuses with UNAVAILABLE "the vault is unlocking" when
     * it is still running then.
     */
    public void await(Duration limit) {
        if (!running()) {
            return;
        }
        try {
            finished.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw unlocking();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unlocking();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // never completed exceptionally
        }
    }

    static ServiceException unlocking() {
        return ServiceException.unavailable("the vault is unlocking (its passphrase tier and database are being opened"
                + " after the service started): try again in a moment; `terok services status` shows when it is up");
    }

    /** The refusal of a call while the vault stays locked because its unlock at start failed. */
    static ServiceException failed(String reason) {
        return ServiceException.unavailable("the vault could not be unlocked at start: " + reason
                + "; fix that and run `terok vault unlock` (or restart the vault service)");
    }
}
