package io.terok.cli.spare;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An output stream whose target comes later: the spare builds its command tree, and so the command's output streams,
 * before a client has passed its descriptors. What is written before {@link #bind} is dropped (only the check of a
 * command the spare may then refuse runs before, and it prints nothing the client should see).
 */
final class LateOutput extends OutputStream {
    private volatile OutputStream target = OutputStream.nullOutputStream();

    void bind(OutputStream target) {
        this.target = target;
    }

    @Override
    public void write(int b) throws IOException {
        target.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        target.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
        target.flush();
    }

    @Override
    public void close() throws IOException {
        target.close();
    }
}
