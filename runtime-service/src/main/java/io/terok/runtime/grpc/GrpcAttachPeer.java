package io.terok.runtime.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.terok.api.v1.AttachOutput;
import io.terok.runtime.attach.AttachPeer;
import io.terok.service.GrpcCalls;

/**
 * An attach session's client over gRPC. {@link #send} waits while gRPC's outbound buffer is full ({@code isReady}
 * false), so output is read from podman only as fast as the client takes it. The wait polls as well as listening
 * for onReady, so it never depends on a callback that a blocked worker might be holding up.
 */
final class GrpcAttachPeer implements AttachPeer {
    private final ServerCallStreamObserver<AttachOutput> call;
    private final Object lock = new Object();
    private boolean closed;

    GrpcAttachPeer(ServerCallStreamObserver<AttachOutput> call) {
        this.call = call;
        call.setOnReadyHandler(this::wake);
    }

    void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    @Override
    public boolean send(AttachOutput message) {
        synchronized (lock) {
            while (!closed && !call.isCancelled() && !call.isReady()) {
                try {
                    lock.wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            if (closed || call.isCancelled()) {
                return false;
            }
            call.onNext(message);
            return true;
        }
    }

    @Override
    public void finish(Throwable error) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            lock.notifyAll();
            if (call.isCancelled()) {
                return;
            }
            if (error == null) {
                call.onCompleted();
            } else {
                call.onError(GrpcCalls.toStatus(error, e -> null));
            }
        }
    }
}
