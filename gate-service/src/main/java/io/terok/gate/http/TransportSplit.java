package io.terok.gate.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * The one Vert.x server listens on the Unix socket (gRPC, for the operator and the other services) and on
 * 127.0.0.1:&lt;http-port&gt; (git, for task containers, which can reach the host's loopback). This filter runs
 * before every other route: gRPC on TCP and anything but gRPC on the socket are refused, so a task can never
 * call the gate's API.
 */
@ApplicationScoped
public class TransportSplit {
    private static final Logger LOG = Logger.getLogger(TransportSplit.class);

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            HttpServerRequest req = ctx.request();
            SocketAddress local = req.localAddress();
            boolean socket = local != null && local.isDomainSocket();
            String type = req.getHeader("content-type");
            boolean grpc = type != null && type.toLowerCase().startsWith("application/grpc");
            if (grpc && !socket) {
                LOG.warnf("refused a gRPC call to %s over TCP from %s", req.path(), req.remoteAddress());
                ctx.response().setStatusCode(403).putHeader("content-type", "text/plain")
                        .end("terok gate: the gate's API is served only on its Unix socket\n");
            } else if (!grpc && socket) {
                ctx.response().setStatusCode(404).putHeader("content-type", "text/plain")
                        .end("terok gate: git is served only over TCP on the loopback port\n");
            } else {
                ctx.next();
            }
        });
    }
}
