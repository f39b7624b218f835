package io.terok.gate.ssh;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RemoteSession;
import org.eclipse.jgit.transport.SshSessionFactory;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.util.FS;

/**
 * JGit's ssh transport carried by the real OpenSSH client, as JGit itself does for {@code GIT_SSH}: JGit speaks the
 * git protocol, {@code ssh} only moves the bytes. Every connection gets the same fixed options:
 * <ul>
 * <li>{@code -F /dev/null}: neither the operator's nor the system's ssh_config applies;</li>
 * <li>{@code IdentityAgent=<the vault's socket>}, {@code IdentityFile=none}: the only keys are the ones the vault's
 * agent serves for this project (never a key file, never ~/.ssh);</li>
 * <li>{@code UserKnownHostsFile=<project>/terok/known_hosts}, {@code StrictHostKeyChecking=accept-new},
 * {@code GlobalKnownHostsFile=/dev/null}: the host key is pinned per project on first use and a changed key is
 * refused;</li>
 * <li>{@code BatchMode=yes}, public key only, no forwarding of any kind, no tty.</li>
 * </ul>
 * What ssh writes to stderr is read by a thread of our own and kept (bounded), so that a failure can be explained
 * ({@link #stderr()}) even when JGit gives up before it would have read ssh's last words ("Permission denied").
 */
public final class OpenSshSessions extends SshSessionFactory {
    private static final int MAX_STDERR = 64 * 1024;
    private final String ssh;
    private final Path agentSocket;
    private final Path knownHosts;
    private static final long STDERR_WAIT_MILLIS = 5_000;
    private static final long EXIT_GRACE_MILLIS = 1_000;
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final List<Thread> drains = new ArrayList<>();

    public OpenSshSessions(String ssh, Path agentSocket, Path knownHosts) {
        this.ssh = ssh;
        this.agentSocket = agentSocket;
        this.knownHosts = knownHosts;
    }

    /**
     * What every ssh process of this factory wrote to stderr (at most 64 KiB), after waiting briefly for the ones that
     * are still writing: ssh prints why it failed as it exits, which can be just after JGit saw the connection end.
     */
    public String stderr() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STDERR_WAIT_MILLIS);
        List<Thread> pending;
        synchronized (drains) {
            pending = List.copyOf(drains);
        }
        try {
            for (Thread t : pending) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (stderr) {
            return stderr.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public String getType() {
        return "terok-openssh";
    }

    /** The command line for one connection (tests read it; {@code host} and {@code user} were validated before). */
    List<String> command(URIish uri, String remoteCommand) {
        List<String> cmd = new ArrayList<>(List.of(ssh, "-F", "/dev/null", "-T", "-x", "-a",
                "-o", "BatchMode=yes",
                "-o", "IdentityAgent=" + agentSocket,
                "-o", "IdentityFile=none",
                "-o", "IdentitiesOnly=no",
                "-o", "PreferredAuthentications=publickey",
                "-o", "PasswordAuthentication=no",
                "-o", "KbdInteractiveAuthentication=no",
                "-o", "UserKnownHostsFile=" + knownHosts,
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=accept-new",
                "-o", "HashKnownHosts=no",
                "-o", "UpdateHostKeys=no",
                "-o", "CheckHostIP=no",
                "-o", "ClearAllForwardings=yes",
                "-o", "PermitLocalCommand=no",
                "-o", "ControlMaster=no",
                "-o", "ControlPath=none",
                "-o", "ConnectTimeout=30",
                "-o", "ServerAliveInterval=15",
                "-o", "ServerAliveCountMax=4",
                "-o", "LogLevel=ERROR"));
        if (uri.getPort() > 0) {
            cmd.addAll(List.of("-p", Integer.toString(uri.getPort())));
        }
        if (uri.getUser() != null && !uri.getUser().isEmpty()) {
            cmd.addAll(List.of("-l", uri.getUser()));
        }
        cmd.add("--");
        String host = uri.getHost();
        cmd.add(host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host);
        cmd.add(remoteCommand);
        return cmd;
    }

    @Override
    public RemoteSession getSession(URIish uri, CredentialsProvider credentials, FS fs, int tms) throws TransportException {
        if (uri.getHost() == null || uri.getHost().isEmpty() || uri.getHost().startsWith("-")
                || (uri.getUser() != null && uri.getUser().startsWith("-"))) {
            throw new TransportException(uri, "not a usable ssh host or user");
        }
        return new RemoteSession() {
            private final List<Process> processes = new ArrayList<>();

            @Override
            public synchronized Process exec(String command, int timeout) throws IOException {
                ProcessBuilder pb = new ProcessBuilder(command(uri, command));
                Map<String, String> env = pb.environment();
                // Nothing of the service's own environment chooses a key, an askpass program or a display.
                env.keySet().removeIf(k -> k.startsWith("SSH_") || k.equals("DISPLAY") || k.startsWith("GIT_"));
                env.put("SSH_AUTH_SOCK", agentSocket.toString());
                Process p = pb.start();
                processes.add(p);
                return new Capturing(p);
            }

            @Override
            public synchronized void disconnect() {
                // ssh may still be writing why it failed (the host-key warning is many lines) when JGit gives up:
                // killing it at once cut that text to its first line, and the failure could no longer be explained.
                // So its stdin is closed first and it gets a moment to finish on its own.
                for (Process p : processes) {
                    try {
                        p.getOutputStream().close();
                    } catch (IOException e) {
                        // already closed by JGit
                    }
                }
                for (Process p : processes) {
                    try {
                        if (!p.waitFor(EXIT_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                            p.destroy();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        p.destroy();
                    }
                }
                processes.clear();
            }
        };
    }

    /** The ssh process, its stderr drained into {@link #stderr} by a thread of our own (JGit gets none of it). */
    private final class Capturing extends Process {
        private final Process p;

        Capturing(Process p) {
            this.p = p;
            Thread drain = new Thread(() -> {
                byte[] buf = new byte[4096];
                try (InputStream in = p.getErrorStream()) {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        keep(buf, 0, n);
                    }
                } catch (IOException e) {
                    // The process is gone: what it wrote before is kept.
                }
            }, "terok-gate-ssh-stderr");
            drain.setDaemon(true);
            synchronized (drains) {
                drains.add(drain);
            }
            drain.start();
        }

        private void keep(byte[] b, int off, int n) {
            synchronized (stderr) {
                int room = MAX_STDERR - stderr.size();
                if (room > 0) {
                    stderr.write(b, off, Math.min(room, n));
                }
            }
        }

        @Override
        public OutputStream getOutputStream() {
            return p.getOutputStream();
        }

        @Override
        public InputStream getInputStream() {
            return p.getInputStream();
        }

        @Override
        public InputStream getErrorStream() {
            return InputStream.nullInputStream();
        }

        @Override
        public int waitFor() throws InterruptedException {
            return p.waitFor();
        }

        @Override
        public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
            return p.waitFor(timeout, unit);
        }

        /**
         * JGit asks for the exit code as soon as the remote hung up, which can be a moment before ssh has exited
         * (after it printed why): wait for it briefly instead of failing with IllegalThreadStateException.
         */
        @Override
        public int exitValue() {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return p.exitValue();
        }

        /**
         * Ends ssh without closing its pipes, which {@link Process#destroy()} also does: JGit destroys the process as
         * soon as the remote hung up, while the drain may still be reading why ssh failed (a host-key warning is many
         * writes). A closed stream lost what the drain had not read yet: the error said only "Invalid remote", or
         * showed the warning's first line of @ signs (seen in two runs of the whole suite). The drain ends at ssh's
         * end of file and closes stderr; JGit closes stdin and stdout.
         */
        @Override
        public void destroy() {
            p.toHandle().destroy();
        }

        @Override
        public boolean isAlive() {
            return p.isAlive();
        }
    }
}
