package io.terok.service;

import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Whether the service is usable: its gRPC health (what `terok services up`, `terok doctor` and the Quadlet units'
 * health check ask) says SERVING once its socket is bound and no part of it holds the start back. A part that
 * finishes its start beside the server (the vault's unlock) takes a {@link Hold} before the socket is bound: the
 * server then answers at once, while health stays NOT_SERVING until the hold is {@linkplain Hold#ready() ready}, or
 * for good when it {@linkplain Hold#failed failed}. The log's "serving gRPC" line is written at the moment health
 * turns SERVING: bench/run-service-start measures a start up to that line.
 */
@ApplicationScoped
public class ServiceReadiness {
    private static final Logger LOG = Logger.getLogger(ServiceReadiness.class);

    @ConfigProperty(name = "quarkus.application.name", defaultValue = "terok")
    String service;

    @Inject
    Instance<GrpcHealthStorage> storage;

    /** What holds the start back: empty while it runs, the reason once it failed. */
    private final Map<String, String> holds = new LinkedHashMap<>();
    private Consumer<ServingStatus> health;
    private String socket;
    private boolean serving;

    public ServiceReadiness() {
    }

    /** A plain one (tests): {@code health} receives every status the gRPC health would answer. */
    ServiceReadiness(String service, Consumer<ServingStatus> health) {
        this.service = service;
        this.health = health;
    }

    /** Health stays NOT_SERVING until the returned hold is ready; take it before the socket is bound (a StartupEvent). */
    public synchronized Hold hold(String what) {
        holds.put(what, "");
        apply();
        return new Hold(what);
    }

    /** One part's start that health waits for. */
    public final class Hold {
        private final String what;

        private Hold(String what) {
            this.what = what;
        }

        /** The part is ready (again, after a failure an operator fixed): health may turn SERVING. */
        public void ready() {
            synchronized (ServiceReadiness.this) {
                if (holds.remove(what) != null) {
                    apply();
                }
            }
        }

        /** The part could not start: health stays NOT_SERVING, with {@code reason} in the log, until {@link #ready()}. */
        public void failed(String reason) {
            synchronized (ServiceReadiness.this) {
                holds.put(what, reason);
                LOG.errorf("%s is not serving: %s failed: %s", service, what, reason);
                apply();
            }
        }
    }

    /** The server's socket is bound (see {@link ServiceSocket}). */
    synchronized void bound(String path) {
        socket = path;
        if (!holds.isEmpty()) {
            LOG.infof("%s listening on unix:%s; health stays NOT_SERVING until %s", service, path, pending());
        }
        apply();
    }

    /** Whether health answers SERVING now. */
    public synchronized boolean serving() {
        return holds.isEmpty();
    }

    private String pending() {
        return holds.entrySet().stream()
                .map(e -> e.getKey() + (e.getValue().isEmpty() ? " finishes" : " (failed: " + e.getValue() + ")"))
                .collect(Collectors.joining(", "));
    }

    private void apply() {
        boolean now = holds.isEmpty();
        sink().accept(now ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
        if (socket == null) {
            return; // before the bind nobody can ask; the bind logs what it finds
        }
        if (now && !serving) {
            LOG.infof("%s serving gRPC on unix:%s", service, socket);
        }
        serving = now;
    }

    private Consumer<ServingStatus> sink() {
        if (health == null) {
            // Quarkus's own gRPC health ("" is the whole server, which HealthProbe asks).
            GrpcHealthStorage h = storage.isResolvable() ? storage.get() : null;
            health = h == null ? s -> { } : s -> h.setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, s);
        }
        return health;
    }
}
