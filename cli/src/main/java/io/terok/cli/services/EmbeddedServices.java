package io.terok.cli.services;

import io.grpc.StatusRuntimeException;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.api.v1.VaultStatus;
import io.terok.api.v1.VaultStatusRequest;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.common.PrivateFiles;
import io.terok.common.ServiceName;
import io.terok.common.grpc.HealthProbe;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The embedded mode: the five service jars run as background processes of this user, each found again through its
 * pid file. `terok services up|down` and `terok setup` use it.
 */
public final class EmbeddedServices {
    /**
     * -Xms16m: the heap starts small and grows as needed; the default initial heap (1/64 of the RAM, capped at
     * -Xmx) had every service touch a 256 MiB heap's young generation before its first collection: 150-210 MiB
     * less for the five together (docs/reliability.md, "Lean services"). -Xmx256m stays: the load tests need it.
     */
    static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-Xms16m", "-XX:+UseSerialGC");
    /**
     * Hands the C heap's free pages back to the system every second (glibc's malloc_trim): what start-up, class loading
     * and the compilers malloc'd and freed stays resident otherwise. -36 MiB for the five idle, -32 settled
     * (docs/reliability.md, "Lean services"); an idle trim costs microseconds. Only JVMs that know the option (17.0.9+,
     * 21.0.1+, 22+) get it: an unknown -XX option stops the JVM.
     */
    static final List<String> TRIM_NATIVE_HEAP = List.of("-XX:TrimNativeHeapInterval=1000");
    /**
     * C1 only, for the services that serve a person's commands and a task's launch, where no loop runs hot: C2's
     * compiler threads, its arenas and its larger code cost each JVM about 10 MiB resident. The gate (JGit's pack
     * work; C1 only halved its push throughput) and the vault (the token broker relays every provider call) keep C2.
     */
    static final List<String> C1_ONLY = List.of("-XX:TieredStopAtLevel=1");
    /**
     * The vault's start spins a few hundred lambda and method-handle classes (those of Quarkus's class loader are not in
     * the class-data archive), and C2 compiled the JDK's internal ASM that writes them: about 160 ms of the C2 thread's
     * 450 before health, on two cores beside the boot. Its thresholds ten times higher keep ASM in C1 through the
     * start; nothing the broker runs per request uses it (docs/benchmarks.md, "Ninth session"). The gate's C2 did not
     * compile it (measured: no change).
     */
    static final List<String> VAULT_JIT = List.of("-XX:CompileCommand=quiet",
            "-XX:CompileCommand=CompileThresholdScaling,jdk.internal.org.objectweb.asm.*::*,10.0");
    /**
     * JDK 24+ warns on a service's output the first time a library uses sun.misc.Unsafe's memory access (JEP 498:
     * Netty, protobuf) or JNI (JEP 472: the vault's SQLCipher, Netty's epoll): allowed, as on 17, without the noise.
     * (25.0.3 printed neither at the services' start or on gRPC calls even without these, the jars' manifest enabling
     * native access; they keep a later first use quiet too.) Only for JVMs that warn: 17 does not know the first option.
     */
    static final List<String> JDK24_ACCESS = List.of("--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED");
    /** Replaces {@link #JVM_OPTIONS} (whitespace-separated; {@code {service}} stands for the service's name). */
    static final String JVM_OPTIONS_ENV = "TEROK_SERVICE_JVM_OPTS";

    /** The JVM options of {@code s} for the JVM in use (the services run with the CLI's java). */
    static List<String> jvmOptions(Map<String, String> env, ServiceName s) {
        return jvmOptions(env, s, Runtime.version());
    }

    /**
     * The JVM options of {@code s} on a JVM of version {@code java}: {@link #JVM_OPTIONS} (and {@link #C1_ONLY},
     * {@link #VAULT_JIT}, {@link #TRIM_NATIVE_HEAP} where they apply), or the operator's {@code TEROK_SERVICE_JVM_OPTS}; on 24+ after
     * {@link #JDK24_ACCESS}, which is given either way (not tuning: what 17 allowed silently; an operator's own later
     * option wins).
     */
    static List<String> jvmOptions(Map<String, String> env, ServiceName s, Runtime.Version java) {
        String custom = env.get(JVM_OPTIONS_ENV);
        List<String> options = new ArrayList<>();
        if (java.feature() >= 24) {
            options.addAll(JDK24_ACCESS);
        }
        if (custom != null && !custom.isBlank()) {
            options.addAll(List.of(custom.trim().replace("{service}", s.id()).split("\\s+")));
            return List.copyOf(options);
        }
        options.addAll(JVM_OPTIONS);
        if (s != ServiceName.GATE && s != ServiceName.VAULT) {
            options.addAll(C1_ONLY);
        }
        if (s == ServiceName.VAULT) {
            options.addAll(VAULT_JIT);
        }
        if (trimsNativeHeap(java)) {
            options.addAll(TRIM_NATIVE_HEAP);
        }
        return List.copyOf(options);
    }

    /** Whether a JVM of version {@code v} takes -XX:TrimNativeHeapInterval (JDK-8293114, backported to 17.0.9 and 21.0.1). */
    static boolean trimsNativeHeap(Runtime.Version v) {
        return v.feature() >= 22 || (v.feature() == 21 && v.update() >= 1) || (v.feature() == 17 && v.update() >= 9);
    }

    private EmbeddedServices() {
    }

    /** A service being waited for; {@code process} is empty when something else started it. */
    private record Starting(ServiceName service, Optional<ProcessHandle> process, long startNanos) {
    }

    /**
     * Starts every service that does not answer yet and waits up to {@code timeout} seconds until all are healthy;
     * 0 when they are, else 1 after naming what did not come up.
     */
    public static int up(Context ctx, int timeout) throws IOException {
        ServiceLayout layout = new ServiceLayout(ctx);
        ctx.beforeGrpc();
        PrivateFiles.directory(layout.runtimeDir);
        PrivateFiles.directory(layout.pidDir);
        Files.createDirectories(layout.logDir);

        Map<ServiceName, HealthProbe.Result> before = Health.probeAll(layout, 2000);
        List<Starting> waiting = new ArrayList<>();
        List<ServiceName> toStart = new ArrayList<>();
        for (ServiceName s : ServiceName.values()) {
            Optional<ProcessHandle> ours;
            if (before.get(s).serving()) {
                progress(ctx, s, "already up (" + layout.socket(s) + ")");
            } else if ((ours = PidFiles.ours(layout.pidFile(s), layout.jar(s))).isPresent()) {
                progress(ctx, s, "already starting (pid " + ours.get().pid() + ")");
                waiting.add(new Starting(s, ours, System.nanoTime()));
            } else if (Files.exists(layout.socket(s)) && Health.listening(layout.socket(s))) {
                progress(ctx, s, "something listens on " + layout.socket(s) + " but is not healthy yet; waiting");
                waiting.add(new Starting(s, Optional.empty(), System.nanoTime()));
            } else {
                toStart.add(s);
            }
        }
        List<String> missing = toStart.stream().map(layout::jar).filter(j -> !Files.isRegularFile(j))
                .map(Path::toString).toList();
        if (!missing.isEmpty()) {
            throw new CliException("service jars are missing: " + String.join(", ", missing),
                    "build them with `./mvnw -B -DskipTests package` in " + layout.home()
                            + " (or point TEROK_HOME at an installation)");
        }
        ListenerPorts.check(ctx, toStart);
        for (ServiceName s : toStart) {
            Files.deleteIfExists(layout.socket(s)); // a stale socket (nobody listens) blocks the bind
            Process p = start(ctx, layout, layout.jar(s), layout.logFile(s), serviceJvmOptions(ctx, layout, s));
            PidFiles.write(layout.pidFile(s), p.pid());
            progress(ctx, s, "starting (pid " + p.pid() + ", log " + layout.logFile(s) + ")");
            waiting.add(new Starting(s, Optional.of(p.toHandle()), System.nanoTime()));
        }
        return awaitHealthy(ctx, layout, waiting, timeout);
    }

    private static int awaitHealthy(Context ctx, ServiceLayout layout, List<Starting> waiting, int timeout) {
        long deadline = System.nanoTime() + timeout * 1_000_000_000L;
        List<String> failures = new ArrayList<>();
        while (!waiting.isEmpty()) {
            for (Starting w : List.copyOf(waiting)) {
                ServiceName s = w.service();
                if (w.process().isPresent() && !w.process().get().isAlive()) {
                    failures.add(s.id() + " exited before it became healthy; read " + layout.logFile(s));
                    progress(ctx, s, "FAILED (exited)");
                    waiting.remove(w);
                } else if (HealthProbe.check(layout.socket(s), 1000).serving()) {
                    progress(ctx, s, String.format("up (%.1f s)", (System.nanoTime() - w.startNanos()) / 1e9));
                    waiting.remove(w);
                } else if (s == ServiceName.VAULT && Files.exists(layout.socket(s))) {
                    Optional<String> failed = vaultUnlockFailure(ctx);
                    if (failed.isPresent()) {
                        // it will not turn healthy by waiting: say why now; it keeps running for `terok vault unlock`
                        failures.add("vault could not be unlocked at start: " + failed.get() + " (the service runs,"
                                + " unhealthy, until `terok vault unlock` succeeds; log " + layout.logFile(s) + ")");
                        progress(ctx, s, "FAILED (its unlock at start failed)");
                        waiting.remove(w);
                    }
                }
            }
            if (!waiting.isEmpty() && System.nanoTime() > deadline) {
                for (Starting w : waiting) {
                    failures.add(w.service().id() + " did not come up within " + timeout + " s; read "
                            + layout.logFile(w.service()));
                    progress(ctx, w.service(), "FAILED (timeout)");
                }
                break;
            }
            if (!waiting.isEmpty()) {
                sleep(150);
            }
        }
        if (failures.isEmpty()) {
            return 0;
        }
        failures.forEach(f -> ctx.err.println("terok: " + f));
        ctx.err.println("hint: fix what the log says and run `terok services up` again; "
                + "`terok services down` stops the services that did start");
        return CliException.FAILED;
    }

    /**
     * Why the vault's unlock at start failed, when it is over and failed (its health then stays NOT_SERVING); empty
     * while it still unlocks, when it did not fail, or when the vault does not answer.
     */
    static Optional<String> vaultUnlockFailure(Context ctx) {
        try (ServiceClient<VaultServiceGrpc.VaultServiceBlockingStub> vault = ServiceApi.VAULT.connect(ctx)) {
            VaultStatus st = vault.stub(Duration.ofSeconds(2)).status(VaultStatusRequest.getDefaultInstance());
            return st.getUnlocked() || st.getUnlocking() || st.getError().isEmpty() || !st.getHeldSince().isEmpty()
                    ? Optional.empty() : Optional.of(st.getError());
        } catch (StatusRuntimeException e) {
            return Optional.empty();
        }
    }

    /** A service's options: {@link #jvmOptions} and, unless TEROK_SERVICE_CDS=0, its class-data archive. */
    private static List<String> serviceJvmOptions(Context ctx, ServiceLayout layout, ServiceName s) {
        List<String> options = new ArrayList<>(jvmOptions(ctx.env, s));
        if (!"0".equals(ctx.env.get(ClassDataArchive.ENV))) {
            String dir = ctx.env.get(ClassDataArchive.DIR_ENV);
            options.addAll(ClassDataArchive.options(dir == null || dir.isBlank() ? ctx.paths.stateDir().resolve("cds") : Path.of(dir),
                    s, layout.jar(s), ctx.env.get(ClassDataArchive.ENV)));
        }
        return options;
    }

    /** Starts one jar as a background process of its own session, its output appended to {@code log}. */
    static Process start(Context ctx, ServiceLayout layout, Path jar, Path log, List<String> jvmOptions) throws IOException {
        return start(ctx, layout, jar, log, jvmOptions, Map.of());
    }

    /** As above, with {@code extraEnv} (decided by the caller, e.g. a port) added to the process's environment. */
    static Process start(Context ctx, ServiceLayout layout, Path jar, Path log, List<String> jvmOptions,
            Map<String, String> extraEnv) throws IOException {
        List<String> cmd = new ArrayList<>();
        // Own session: closing the terminal the services were started from must not take them down.
        for (String setsid : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (Files.isExecutable(Path.of(setsid))) {
                cmd.add(setsid);
                break;
            }
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar.toAbsolutePath().normalize().toString());
        if (Files.exists(log)) {
            Files.move(log, log.resolveSibling(log.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(layout.home().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        Map<String, String> env = pb.environment();
        ctx.env.forEach((k, v) -> {
            if (k.startsWith("TEROK_") || k.startsWith("XDG_")) {
                env.put(k, v);
            }
        });
        env.put("TEROK_RUNTIME_DIR", layout.runtimeDir.toString());
        // glibc's malloc keeps an arena per thread up to 8 per core; two are plenty for a service (-14 MiB for the
        // five). An operator's own MALLOC_ARENA_MAX wins.
        env.putIfAbsent("MALLOC_ARENA_MAX", "2");
        env.putAll(extraEnv);
        return pb.start();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while waiting for the services", "`terok services status` shows where they are");
        }
    }

    static final long GRACE_MILLIS = 10_000;

    /** Stops what {@link #up} started (SIGTERM, SIGKILL after the grace period); 1 when a process survived. */
    public static int down(Context ctx) throws IOException {
        ServiceLayout layout = new ServiceLayout(ctx);
        Map<ServiceName, ProcessHandle> stopping = new EnumMap<>(ServiceName.class);
        for (ServiceName s : ServiceName.values()) {
            var pidFile = layout.pidFile(s);
            if (!Files.exists(pidFile)) {
                progress(ctx, s, "not started by terok (no pid file)");
                continue;
            }
            OptionalLong pid = PidFiles.read(pidFile);
            Optional<ProcessHandle> live = pid.isPresent() ? ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive)
                    : Optional.empty();
            if (live.isEmpty()) {
                Files.deleteIfExists(pidFile);
                progress(ctx, s, "not running (stale pid file removed)");
            } else if (!PidFiles.runsJar(pid.getAsLong(), layout.jar(s))) {
                Files.deleteIfExists(pidFile);
                progress(ctx, s, "pid " + pid.getAsLong() + " is not " + layout.jar(s)
                        + "; left it alone (stale pid file removed)");
            } else {
                live.get().destroy();
                stopping.put(s, live.get());
            }
        }
        long signalled = System.nanoTime();
        int exit = 0;
        for (Map.Entry<ServiceName, ProcessHandle> e : stopping.entrySet()) {
            ServiceName s = e.getKey();
            ProcessHandle h = e.getValue();
            Optional<Path> archive = ClassDataArchive.recordedBy(h);
            long grace = archive.isPresent() ? ClassDataArchive.RECORDING_GRACE_MILLIS : GRACE_MILLIS;
            if (exited(h, Math.max(0, signalled + TimeUnit.MILLISECONDS.toNanos(grace) - System.nanoTime()))) {
                progress(ctx, s, "stopped (pid " + h.pid() + ")");
            } else {
                h.destroyForcibly();
                if (exited(h, TimeUnit.SECONDS.toNanos(5))) {
                    progress(ctx, s, "killed (pid " + h.pid() + " ignored SIGTERM for " + grace / 1000 + " s)");
                    if (archive.isPresent()) {
                        // killed while writing: a truncated archive would be kept and never map; the next start records anew
                        ClassDataArchive.discard(archive.get());
                    }
                } else {
                    progress(ctx, s, "FAILED: pid " + h.pid() + " survived SIGKILL");
                    exit = CliException.FAILED;
                    continue;
                }
            }
            Files.deleteIfExists(layout.pidFile(s));
            Files.deleteIfExists(layout.socket(s));
        }
        return exit;
    }

    private static boolean exited(ProcessHandle h, long nanos) {
        try {
            h.onExit().get(nanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return !h.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !h.isAlive();
        } catch (ExecutionException e) {
            return !h.isAlive();
        }
    }

    /** One line of `services up`/`down` output: {@code   <service>  <what happened>}. */
    private static void progress(Context ctx, ServiceName s, String what) {
        ctx.out.printf("  %-10s %s%n", s.id(), what);
        ctx.out.flush();
    }
}
