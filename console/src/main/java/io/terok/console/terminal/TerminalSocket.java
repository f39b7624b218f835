package io.terok.console.terminal;

import com.google.protobuf.ByteString;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.PathParam;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.terok.api.v1.AttachInput;
import io.terok.api.v1.AttachOutput;
import io.terok.api.v1.AttachStart;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ServiceName;
import io.terok.console.services.ServiceErrors;
import io.terok.console.services.ServiceStubs;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * An in-browser terminal into a running task: a WebSocket bridged to runtime's Attach, the mechanism `terok login`
 * and `terok exec` use. Each connection starts a shell in the task ({@code bash -l}, as the task's user, no TTY: the
 * page is a line terminal, text in and text out); what the page sends is the shell's input, what the shell writes
 * comes back as text. Closing the page ends the shell (its stdin closes); the task keeps running. The upgrade was
 * checked by {@link TerminalUpgradeCheck} (session, CSRF token, Origin).
 */
@WebSocket(path = "/api/tasks/{project}/{task}/terminal")
public class TerminalSocket {
    private static final Logger LOG = Logger.getLogger(TerminalSocket.class);
    /** The longest line the page may send at once. */
    static final int MAX_INPUT = 64 * 1024;

    @Inject
    ServiceStubs stubs;

    /** The endpoint is one bean for all connections: each connection's shell input, by connection id. */
    private final Map<String, ClientCallStreamObserver<AttachInput>> inputs = new ConcurrentHashMap<>();

    @OnOpen
    void open(WebSocketConnection connection, @PathParam("project") String project, @PathParam("task") String task) {
        if (!Ids.isProject(project) || !Ids.isTaskId(task)) {
            connection.sendTextAndAwait("terok: project or task id malformed\n");
            connection.closeAndAwait();
            return;
        }
        RuntimeServiceGrpc.newStub(stubs.channel(ServiceName.RUNTIME)).attach(new ClientResponseObserver<AttachInput, AttachOutput>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<AttachInput> requests) {
                inputs.put(connection.id(), requests);
            }

            @Override
            public void onNext(AttachOutput o) {
                switch (o.getOutputCase()) {
                    case STDOUT -> send(connection, o.getStdout().toString(StandardCharsets.UTF_8));
                    case STDERR -> send(connection, o.getStderr().toString(StandardCharsets.UTF_8));
                    case END -> send(connection, "\n[the shell ended"
                            + (o.getEnd().getDetached() ? "" : ", exit " + o.getEnd().getExitCode()) + "]\n");
                    default -> {
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                String why = t instanceof io.grpc.StatusRuntimeException s ? ServiceErrors.message(s) : "the session failed";
                send(connection, "\n[terok: " + why + "]\n");
                close(connection);
            }

            @Override
            public void onCompleted() {
                close(connection);
            }
        });
        ClientCallStreamObserver<AttachInput> input = inputs.get(connection.id());
        input.onNext(AttachInput.newBuilder().setStart(AttachStart.newBuilder().setTask(task)
                .addCommand("bash").addCommand("-l")).build());
        LOG.infof("terminal opened into task %s", task);
    }

    private static void send(WebSocketConnection connection, String text) {
        if (connection.isOpen()) {
            // the task's bytes as text: the page shows them with textContent, escape sequences and all visible
            connection.sendText(text).subscribe().with(x -> { }, e -> { });
        }
    }

    private static void close(WebSocketConnection connection) {
        if (connection.isOpen()) {
            connection.close().subscribe().with(x -> { }, e -> { });
        }
    }

    @OnTextMessage
    void typed(WebSocketConnection connection, String line) {
        ClientCallStreamObserver<AttachInput> in = inputs.get(connection.id());
        if (in == null) {
            return;
        }
        String s = line.length() > MAX_INPUT ? line.substring(0, MAX_INPUT) : line;
        synchronized (in) {
            in.onNext(AttachInput.newBuilder().setStdin(ByteString.copyFromUtf8(s)).build());
        }
    }

    @OnClose
    void closed(WebSocketConnection connection) {
        ClientCallStreamObserver<AttachInput> in = inputs.remove(connection.id());
        if (in != null) {
            synchronized (in) {
                try {
                    // the shell's stdin closes with the call's input side: bash exits; the task keeps running
                    in.onCompleted();
                } catch (RuntimeException e) {
                    LOG.debug("attach already closed: " + Printable.line(e.getMessage()));
                }
            }
        }
    }
}
