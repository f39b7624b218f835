package io.terok.vault.broker;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * One Vert.x server, two doors: gRPC only on the Unix socket, the broker only on TCP 127.0.0.1. A task container
 * can reach the host's loopback ports, so gRPC arriving over TCP is refused before any gRPC handler sees it, and
 * HTTP arriving on the socket never reaches the broker.
 */
@ApplicationScoped
public class BrokerRoutes {
    @Inject
    TokenBroker broker;

    void routes(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(BrokerRoutes::guard);
        router.route().order(Integer.MIN_VALUE + 1).handler(ctx -> {
            if (ctx.request().localAddress() != null && ctx.request().localAddress().isDomainSocket()) {
                ctx.next();
            } else {
                broker.handle(ctx.request());
            }
        });
    }

    static void guard(RoutingContext ctx) {
        boolean socket = ctx.request().localAddress() != null && ctx.request().localAddress().isDomainSocket();
        String type = ctx.request().getHeader("content-type");
        boolean grpc = type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("application/grpc");
        if (socket == grpc) {
            ctx.next();
        } else if (grpc) {
            ctx.response().setStatusCode(403).putHeader("content-type", "application/json")
                    .end("{\"error\":\"grpc_refused\",\"message\":\"the vault API is served on its Unix socket only\"}");
        } else {
            ctx.response().setStatusCode(404).end();
        }
    }
}
