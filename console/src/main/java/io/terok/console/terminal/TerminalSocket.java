package io.terok.console.terminal;

import com.google.protobuf.ByteString;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.PathParam;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.terok.api.v1.AttachDetach;
import io.terok.api.v1.AttachInput;
import io.terok.api.v1.AttachOutput;
import io.terok.api.v1.AttachStart;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.WindowSize;
import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ServiceName;
import io.terok.console.services.ServiceErrors;
import io.terok.console.services.ServiceStubs;
import io.vertx.core.buffer.Buffer;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * An in-browser terminal into a running task: a WebSocket bridged to runtime's Attach with a TTY, the mechanism
 * {@code terok login} uses. The page (xterm.js) sends {@code {"start":{cols,rows}}} first, and the console starts
 * {@code bash -l} in the task, as the task's user, on a terminal of that size; then every keystroke travels raw in
 * binary frames (Ctrl-C is the byte 0x03, which the task's terminal turns into SIGINT), a resize of the page's
 * terminal becomes Attach's resize, and the shell's bytes come back in binary frames, unfiltered: xterm.js interprets
 * them as a terminal does and draws them on its canvas, so nothing the task writes becomes markup. Control from the
 * console to the page is text: {@code {"ready":true}}, {@code {"end":{"exitCode":n,"detached":b}}},
 * {@code {"error":"..."}}. Closing the page ends the shell (its stdin closes and the exec session with it); Detach
 * leaves it running. The upgrade was checked by {@link TerminalUpgradeCheck} (session, CSRF token, Origin).
 */
@WebSocket(path = "/api/tasks/{project}/{task}/terminal")
public class TerminalSocket {
    private static final Logger LOG = Logger.getLogger(TerminalSocket.class);
    /** The most the page may send in one frame (a paste): more is cut. */
    static final int MAX_INPUT = 64 * 1024;

    @Inject
    ServiceStubs stubs;

    /** The endpoint is one bean for all connections: each connection's Attach call, by connection id. */
    private final Map<String, ClientCallStreamObserver<AttachInput>> inputs = new ConcurrentHashMap<>();

    @OnOpen
    void open(WebSocketConnection connection, @PathParam("project") String project, @PathParam("task") String task) {
        if (!Ids.isProject(project) || !Ids.isTaskId(task)) {
            fail(connection, "project or task id malformed");
        }
    }

    @OnTextMessage
    void control(WebSocketConnection connection, String text) {
        TerminalMessage m;
        try {
            m = TerminalMessage.parse(text);
        } catch (IllegalArgumentException e) {
            fail(connection, e.getMessage());
            return;
        }
        ClientCallStreamObserver<AttachInput> in = inputs.get(connection.id());
        if (m instanceof TerminalMessage.Start s) {
            if (in != null) {
                fail(connection, "the shell was already started");
                return;
            }
            start(connection, connection.pathParam("task"), s);
        } else if (in == null) {
            fail(connection, "start the shell first: {\"start\":{\"cols\":..,\"rows\":..}}");
        } else if (m instanceof TerminalMessage.Resize r) {
            send(in, AttachInput.newBuilder().setResize(size(r.cols(), r.rows())).build());
        } else {
            send(in, AttachInput.newBuilder().setDetach(AttachDetach.getDefaultInstance()).build());
        }
    }

    @OnBinaryMessage
    void typed(WebSocketConnection connection, Buffer keys) {
        ClientCallStreamObserver<AttachInput> in = inputs.get(connection.id());
        if (in == null) {
            return;
        }
        byte[] b = keys.getBytes();
        send(in, AttachInput.newBuilder().setStdin(ByteString.copyFrom(b, 0, Math.min(b.length, MAX_INPUT))).build());
    }

    private void start(WebSocketConnection connection, String task, TerminalMessage.Start s) {
        RuntimeServiceGrpc.newStub(stubs.channel(ServiceName.RUNTIME)).attach(new ClientResponseObserver<AttachInput, AttachOutput>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<AttachInput> requests) {
                inputs.put(connection.id(), requests);
            }

            @Override
            public void onNext(AttachOutput o) {
                switch (o.getOutputCase()) {
                    case READY -> text(connection, "{\"ready\":true}");
                    case STDOUT -> bytes(connection, o.getStdout());
                    case STDERR -> bytes(connection, o.getStderr());
                    case END -> text(connection, "{\"end\":{\"exitCode\":" + o.getEnd().getExitCode()
                            + ",\"detached\":" + o.getEnd().getDetached() + "}}");
                    default -> {
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                inputs.remove(connection.id());
                fail(connection, t instanceof io.grpc.StatusRuntimeException e ? ServiceErrors.message(e) : "the session failed");
            }

            @Override
            public void onCompleted() {
                inputs.remove(connection.id());
                close(connection);
            }
        });
        send(inputs.get(connection.id()), AttachInput.newBuilder().setStart(AttachStart.newBuilder().setTask(task)
                .addCommand("bash").addCommand("-l").setTty(true).setSize(size(s.cols(), s.rows()))).build());
        LOG.infof("terminal opened into task %s (%dx%d)", task, s.cols(), s.rows());
    }

    private static WindowSize size(int cols, int rows) {
        return WindowSize.newBuilder().setColumns(cols).setRows(rows).build();
    }

    /** grpc-java's call is not thread-safe: keystrokes, resizes and the close come from different threads. */
    private static void send(ClientCallStreamObserver<AttachInput> in, AttachInput message) {
        synchronized (in) {
            try {
                in.onNext(message);
            } catch (RuntimeException e) {
                LOG.debug("attach already closed: " + Printable.line(e.getMessage()));
            }
        }
    }

    private static void bytes(WebSocketConnection connection, ByteString b) {
        if (connection.isOpen()) {
            connection.sendBinary(Buffer.buffer(b.toByteArray())).subscribe().with(x -> { }, e -> { });
        }
    }

    private static void text(WebSocketConnection connection, String json) {
        if (connection.isOpen()) {
            connection.sendText(json).subscribe().with(x -> { }, e -> { });
        }
    }

    /** Tells the page why (as JSON data: the page shows it as text) and closes. */
    private static void fail(WebSocketConnection connection, String why) {
        text(connection, "{\"error\":" + TerminalMessage.JSON.valueToTree(Printable.line(why)) + "}");
        close(connection);
    }

    private static void close(WebSocketConnection connection) {
        if (connection.isOpen()) {
            connection.close().subscribe().with(x -> { }, e -> { });
        }
    }

    @OnClose
    void closed(WebSocketConnection connection) {
        ClientCallStreamObserver<AttachInput> in = inputs.remove(connection.id());
        if (in == null) {
            return;
        }
        // A shell on a TTY does not end when its stdin's pipe closes (the terminal stays): Ctrl-C ends what runs in
        // the foreground, then Ctrl-D on the empty line ends bash, as closing a terminal window would. Apart: the
        // terminal throws away input it holds when Ctrl-C interrupts, a Ctrl-D sent with it would be lost. Then the
        // call's input side closes; the task keeps running.
        send(in, AttachInput.newBuilder().setStdin(ByteString.copyFrom(new byte[] {3})).build());
        java.util.concurrent.CompletableFuture.delayedExecutor(300, java.util.concurrent.TimeUnit.MILLISECONDS).execute(() -> {
            send(in, AttachInput.newBuilder().setStdin(ByteString.copyFrom(new byte[] {4})).build());
            synchronized (in) {
                try {
                    in.onCompleted();
                } catch (RuntimeException e) {
                    LOG.debug("attach already closed: " + Printable.line(e.getMessage()));
                }
            }
        });
    }
}
