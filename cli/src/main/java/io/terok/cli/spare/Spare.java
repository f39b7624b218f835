package io.terok.cli.spare;

import io.terok.cli.TerokCommand;
import io.terok.common.TerokPaths;
import io.terok.common.grpc.UnixChannels;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * A spare CLI process: a CLI JVM started ahead of time that waits on {@code <runtime dir>/cli-spare/sock} for the
 * native client (bin/terok) and runs exactly one command for it, with the client's stdin/stdout/stderr, then exits
 * with the command's code sent back. When it takes a command it first gives up the socket; once the exit code is sent
 * it starts its successor, so one is ready for the next command. It ends after {@code TEROK_SPARE_IDLE_SECONDS} (default 900) without a
 * command, on {@code terok cli-spare stop} / {@code terok services down}, and when a client of another context
 * (directory, environment, build) comes: then its successor is started in that context.
 *
 * <p>Protocol (after {@link SpareRequest}): the spare answers one byte, {@code 'F'} (start cold; nothing has run)
 * or {@code 'A'}; after {@code 'A'} the client passes its descriptors 0, 1 and 2 (SCM_RIGHTS, one per one-byte
 * message) and waits for {@code 'X'} and the exit code (32-bit big-endian).
 */
public final class Spare {
    /** The pid of the spare that started this one: its successor warms up once it has ended (no CPU race). */
    static final String PREDECESSOR_ENV = "TEROK_SPARE_PREDECESSOR";
    static final String IDLE_ENV = "TEROK_SPARE_IDLE_SECONDS";
    private static final long DEFAULT_IDLE_SECONDS = 900;
    /** A client that connected must have sent its request within this time. */
    private static final long REQUEST_MILLIS = 10_000;

    private final Path dir;
    private final Path socket;
    private final List<String> ownCommand;
    private final Map<Path, Long> builtFrom;
    private ServerSocketChannel server;
    private FileLock lock;
    private volatile boolean warm;
    /** This process's CPU time when it was warm (its start and warm-up): what a spare costs beside the command. */
    private volatile long warmUpCpuMillis;
    private boolean taken;
    /** The command's streams: the client's stdout and stderr once its descriptors have arrived. */
    private final LateOutput lateOut = new LateOutput();
    private final LateOutput lateErr = new LateOutput();
    private final PrintStream out = new PrintStream(new BufferedOutputStream(lateOut, 128), true);
    private final PrintStream err = new PrintStream(new BufferedOutputStream(lateErr, 128), true);
    /** The command tree, built before a client comes (set before {@link #warm}). */
    private volatile TerokCommand.Prepared prepared;
    /** The bound socket file's identity: retiring removes only that one, never a successor's. */
    private Object boundKey;

    private Spare(Path dir) throws IOException {
        this.dir = dir;
        this.socket = socket(dir);
        this.ownCommand = ownCommand();
        this.builtFrom = jars();
    }

    /** The directory of the spare's socket and lock under the runtime dir. */
    public static Path dir(TerokPaths paths) {
        return paths.runtimeDir().resolve("cli-spare");
    }

    public static Path socket(Path dir) {
        return dir.resolve("sock");
    }

    /** {@code terok cli-spare serve}, started by the native client or a predecessor; never returns. */
    public static void serve() {
        int code = 0;
        try {
            new Spare(dir(TerokPaths.current())).run();
        } catch (Throwable e) {
            code = 1; // nobody sees the spare's stderr: the log has it
            log(dir(TerokPaths.current()), "ended: " + e);
        }
        System.exit(code);
    }

    private void run() throws IOException, ReflectiveOperationException {
        // Loaded now: a rebuild replaces the jar under this JVM, and a class first loaded after that may not be found.
        for (Class<?> c : new Class<?>[] {SpareRequest.class, SpareRule.class, PassedFds.class, DataInputStream.class}) {
            Class.forName(c.getName(), true, c.getClassLoader());
        }
        if (!privateDir(dir)) {
            log(dir, "not serving: " + dir + " is not a private directory of this user");
            return;
        }
        FileChannel lockFile = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        lock = lockFile.tryLock();
        if (lock == null) {
            return; // another spare is starting or waiting
        }
        Files.deleteIfExists(socket); // stale: whoever bound it holds no lock any more
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        boundKey = fileKey(socket);
        Files.writeString(dir.resolve("pid"), ProcessHandle.current().pid() + "\n");
        startIdleTimer();
        Thread warmUp = new Thread(this::warmUp, "terok-spare-warm-up");
        warmUp.setDaemon(true);
        warmUp.start();
        String ownUser = Files.getOwner(dir).getName();
        while (true) {
            SocketChannel c = server.accept();
            UnixDomainPrincipal peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!peer.user().getName().equals(ownUser)) {
                log(dir, "refused a client of user " + peer.user().getName() + " (not " + ownUser + ")");
                c.close();
                continue;
            }
            serveOne(c);
        }
    }

    private void serveOne(SocketChannel c) throws IOException {
        Thread watchdog = closeLater(c);
        SpareRequest req;
        try {
            // Buffered: the request is read field by field (an int, then its bytes), a system call each unbuffered
            // (the environment alone is a few hundred). The client sends nothing after it before the answer.
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(c)));
            int magic = in.readInt();
            if (magic == SpareRequest.STOP) {
                retire();
                c.close();
                System.exit(0);
            }
            if (magic != SpareRequest.MAGIC) {
                answer(c, 'F');
                c.close();
                return;
            }
            req = SpareRequest.read(in);
        } catch (IOException e) {
            c.close(); // a client that gave up or sent garbage: it starts cold; the spare waits on
            return;
        }
        // First the build: a rebuilt jar may no longer hold the classes the verb check below would load.
        String other = builtFrom.equals(jars()) ? null : "the CLI was rebuilt";
        if (other == null) {
            String refusal = warm ? prepared.refusal(req.argsArray()) : "still warming up";
            if (refusal != null) { // this spare stays for the next command, with a fresh tree
                answer(c, 'F');
                if (warm) {
                    prepared = TerokCommand.prepare(out, err, System.getenv());
                }
                c.close();
                return;
            }
            other = SpareRule.whyOtherContext(req, System.getProperty("user.dir"), System.getenv(), ownCommand);
        }
        retire();
        if (other != null) {
            answer(c, 'F');
            c.close();
            startSuccessor(req);
            System.exit(0);
        }
        // The runtime channel connects while the descriptors come and the verb is set up (as the cold CLI does it
        // while picocli parses).
        TerokCommand.prewarm(req.argsArray());
        answer(c, 'A');
        log(dir, "serves '" + verbOf(req.args()) + "'");
        FileDescriptor[] fds = PassedFds.receive(c, 3);
        watchdog.interrupt();
        long before = cpuMillis();
        int code = runCommand(c, req.argsArray(), fds);
        log(dir, "exit " + code + "; CPU: start and warm-up " + warmUpCpuMillis + " ms, the command " + (cpuMillis() - before) + " ms");
        // The successor only now, with the client already gone on with its exit code: its JVM's start does not take
        // CPU from the command. (It warms up once this process has exited.) A command started meanwhile, from another
        // shell, finds no socket and starts cold.
        startSuccessor(req);
        System.exit(code);
    }

    /** Runs the command as the CLI's main does, on the client's descriptors; returns its exit code, sent back. */
    private int runCommand(SocketChannel c, String[] args, FileDescriptor[] fds) {
        lateOut.bind(new FileOutputStream(fds[1]));
        lateErr.bind(new FileOutputStream(fds[2]));
        System.setIn(new FileInputStream(fds[0]));
        System.setOut(out);
        System.setErr(err);
        int code;
        try {
            code = prepared.run(args);
        } catch (Throwable e) { // as the JVM reports an exception that leaves main
            err.print("Exception in thread \"main\" ");
            e.printStackTrace(err);
            code = 1;
        }
        TerokCommand.afterMain();
        out.flush();
        err.flush();
        // The client's descriptors closed before the exit code goes back: a caller reading the command's output to its
        // end (`$(terok ps)`) sees it end with the client, not with this process.
        out.close();
        err.close();
        try {
            System.in.close();
        } catch (IOException e) {
            // closed anyway
        }
        try {
            c.write(ByteBuffer.allocate(5).put((byte) 'X').putInt(code).flip());
        } catch (IOException e) {
            // the client is gone (killed): nobody to tell
        }
        return code;
    }

    private static void answer(SocketChannel c, char a) throws IOException {
        c.write(ByteBuffer.wrap(new byte[] {(byte) a}));
    }

    /** Gives up the socket and the lock, so the successor can take them; called once. */
    private synchronized void retire() throws IOException {
        taken = true;
        server.close();
        if (boundKey != null && boundKey.equals(fileKey(socket))) {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir.resolve("pid"));
            Files.deleteIfExists(dir.resolve("warm"));
        }
        lock.release();
        lock.channel().close();
    }

    /** The next spare, in the client's directory and environment, with the client's command line for a spare. */
    private static void startSuccessor(SpareRequest req) {
        try {
            ProcessBuilder pb = new ProcessBuilder(req.spareCommand()).directory(new File(req.cwd()))
                    .redirectInput(new File("/dev/null")).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().clear();
            pb.environment().putAll(req.env());
            pb.environment().put(PREDECESSOR_ENV, Long.toString(ProcessHandle.current().pid()));
            pb.start();
        } catch (IOException | RuntimeException e) {
            log(dir(TerokPaths.current()), "cannot start the next spare: " + e); // the next client starts one
        }
    }

    /**
     * Ends the spare after the idle time, or as soon as its socket is gone or replaced (the runtime dir removed, a
     * test's installation discarded): nobody could reach it any more.
     */
    private void startIdleTimer() {
        long idle = DEFAULT_IDLE_SECONDS;
        try {
            idle = Long.parseLong(System.getenv().getOrDefault(IDLE_ENV, Long.toString(DEFAULT_IDLE_SECONDS)));
        } catch (NumberFormatException e) {
            // the default
        }
        long millis = TimeUnit.SECONDS.toMillis(Math.max(1, idle));
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        Thread t = new Thread(() -> {
            try {
                while (System.nanoTime() < end && boundKey.equals(fileKey(socket))) {
                    Thread.sleep(Math.min(2000, millis));
                }
                synchronized (this) {
                    if (!taken) {
                        retire();
                        System.exit(0);
                    }
                }
            } catch (InterruptedException | IOException e) {
                System.exit(0);
            }
        }, "terok-spare-idle");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Loads and runs what a command runs (the CDS training's verbs against an in-process stand-in service), once the
     * predecessor's command has ended so the two do not share the CPU.
     */
    private void warmUp() {
        String pred = System.getenv(PREDECESSOR_ENV);
        if (pred != null) {
            try {
                ProcessHandle.of(Long.parseLong(pred)).ifPresent(h -> {
                    try {
                        h.onExit().get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        // warm up anyway
                    }
                });
            } catch (NumberFormatException e) {
                // no predecessor to wait for
            }
        }
        PrintStream sink = new PrintStream(java.io.OutputStream.nullOutputStream());
        TerokCommand.run(new String[] {"cds-train"}, sink, sink);
        UnixChannels.shutdown(); // the command gets a fresh event loop, as in a cold process
        if (PassedFds.available()) {
            prepared = TerokCommand.prepare(out, err, System.getenv());
            // The log's first line in this process is slow (its date format loaded): written here, not while serving.
            log(dir, "warm");
            warmUpCpuMillis = cpuMillis();
            warm = true;
            try { // for whoever waits for a ready spare (tests, the benchmark)
                Files.writeString(dir.resolve("warm"), ProcessHandle.current().pid() + "\n");
            } catch (IOException e) {
                // only a marker
            }
        } else {
            log(dir, "not serving: cannot receive descriptors here (JNA, or the JVM's --add-opens)");
        }
    }

    private static long cpuMillis() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toMillis).orElse(-1L);
    }

    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private static Thread closeLater(SocketChannel c) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(REQUEST_MILLIS);
                c.close();
            } catch (InterruptedException | IOException e) {
                // served in time
            }
        }, "terok-spare-request");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** This JVM's command line, as /proc shows it: what a client of the same build sends as its spare command. */
    private static List<String> ownCommand() throws IOException {
        byte[] b = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                out.add(new String(b, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return out;
    }

    /** The CLI's jar and its lib directory's jars with their modification times. */
    private static Map<Path, Long> jars() throws IOException {
        Map<Path, Long> m = new HashMap<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path jar = Path.of(e).toAbsolutePath();
            if (Files.isRegularFile(jar)) {
                m.put(jar, Files.getLastModifiedTime(jar).toMillis());
                Path lib = jar.resolveSibling("lib");
                if (Files.isDirectory(lib)) {
                    try (var s = Files.list(lib)) {
                        for (Path p : (Iterable<Path>) s::iterator) {
                            m.put(p, Files.getLastModifiedTime(p).toMillis());
                        }
                    }
                }
            }
        }
        return m;
    }

    /** Creates the directory 0700, or accepts an existing one only if it is this user's and 0700. */
    static boolean privateDir(Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // a racing spare made it: checked below
            }
        }
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Object uid = Files.getAttribute(dir, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Object mode = Files.getAttribute(dir, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Object own = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        return uid.equals(own) && (((Integer) mode) & 0777) == 0700;
    }

    /** The first argument that is not an option: what the log says was served (never the rest: it may be a secret). */
    private static String verbOf(List<String> args) {
        return args.stream().filter(a -> !a.startsWith("-")).findFirst().orElse("");
    }

    /** One line to {@code spare.log} (refusals, errors, the verb of each command served); kept under 64 KiB. */
    static void log(Path dir, String line) {
        try {
            if (Files.isDirectory(dir)) {
                Path log = dir.resolve("spare.log");
                if (Files.exists(log) && Files.size(log) > 64 * 1024) {
                    Files.delete(log);
                }
                Files.writeString(log, Instant.now() + " pid " + ProcessHandle.current().pid() + ": " + line + "\n",
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            // nowhere else to say it
        }
    }
}
