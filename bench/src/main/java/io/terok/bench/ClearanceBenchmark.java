package io.terok.bench;

import io.grpc.ManagedChannel;
import io.terok.api.v1.BlockedConnection;
import io.terok.api.v1.BlockedEventsRequest;
import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.ShieldState;
import io.terok.api.v1.ShieldTaskRef;
import io.terok.common.HostProcess;
import io.terok.common.ProtoTime;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.DesktopSession;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.LoopbackPort;
import io.terok.testsupport.PrivatePodman;
import io.terok.testsupport.RandomHex;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Clearance's two latency figures (issue 6), against wall clock only (there is no baseline program for them), as
 * root: (1) from a task's blocked connection attempt to the Notify call on the session bus; (2) from the operator's
 * Allow (the ActionInvoked signal dunst sends) to the task's first successful connection to that address.
 * The whole composition as an operator runs it: {@code terok services up} (embedded) on a private terok home, a
 * private podman API service whose CONTAINERS_CONF lists the shield hooks dir, a real desktop (dbus-daemon, Xvfb,
 * dunst: test-support's DesktopSession) and a task started with {@code terok run}. All three clocks read
 * (the container's {@code date +%s%N}, dbus-monitor's message time, shield's event time) are this host's
 * CLOCK_REALTIME. Traffic goes only to a fake-internet netns it creates (198.19.N.0/24), one fresh destination
 * per round, all removed afterwards. Usage: ClearanceBenchmark REPO [RUNS]. Prints a Markdown table.
 */
public final class ClearanceBenchmark {
    static final String IMAGE = "localhost/terok-agent:latest";
    static final int FIRST = 10;
    static final int WARMUP = 2;

    /** One message dbus-monitor printed: its header line (with time=) and its argument lines. */
    record BusMessage(double epochSeconds, String member, StringBuilder body) {
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]).toAbsolutePath().normalize();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("run as root (the fake internet needs a network namespace)");
        }
        Path home = Files.createTempDirectory("terok-bench-clearance-");
        String id = RandomHex.of(3);
        FakeInternet internet = null;
        PrivatePodman podman = null;
        Process monitor = null;
        DesktopSession desktop = null;
        ManagedChannel ch = null;
        boolean servicesUp = false;
        String name = "bench-clearance-" + id;
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TEROK_RUNTIME_DIR", home.resolve("run").toString());
        env.put("TEROK_DATA_DIR", home.resolve("data").toString());
        env.put("TEROK_STATE_DIR", home.resolve("state").toString());
        env.put("TEROK_CONFIG_DIR", home.resolve("config").toString());
        env.put("TEROK_HOME", repo.toString());
        // free loopback ports, so another terok on this machine (a live one, a test) does not collide
        env.put("TEROK_GATE_HTTP_PORT", Integer.toString(LoopbackPort.free()));
        env.put("TEROK_VAULT_BROKER_PORT", Integer.toString(LoopbackPort.free()));
        // one task answers a prompt per run, faster than clearance's default desktop budget of 6 a minute per task
        env.put("TEROK_CLEARANCE_NOTIFICATIONS_PER_MINUTE", "1000");
        Path conf = home.resolve("containers.conf");
        try {
            // fake internet: .2 resolver, .3 name.test, .FIRST.. one fresh destination per round
            internet = FakeInternet.spec("tcb").name("name.test", 3).addresses(FIRST, FIRST + WARMUP + runs - 1).start();
            String net = internet.net;

            // podman API service with a private containers.conf that lists the shield's hooks dir
            podman = new PrivatePodman(home, home.resolve("data/shield/hooks"));
            env.put("TEROK_PODMAN_SOCKET", podman.socket.toString());
            env.put("TEROK_SHIELD_UPSTREAM_DNS", internet.resolver());
            env.put("TEROK_SHIELD_HOOKS_REGISTRATION", home.resolve("containers.conf.d/terok-shield.conf").toString());
            Files.createDirectories(home.resolve("config/shield/profiles"));
            Files.writeString(home.resolve("config/shield/profiles/fake-internet.txt"), "name.test\n");
            env.put("TEROK_SHIELD_DEFAULT_PROFILES", "fake-internet");

            // the operator's desktop, and our own view of the session bus
            desktop = new DesktopSession();
            env.put("DBUS_SESSION_BUS_ADDRESS", desktop.busAddress);
            List<BusMessage> bus = new ArrayList<>();
            monitor = new ProcessBuilder("dbus-monitor", "--address", desktop.busAddress,
                    "interface='org.freedesktop.Notifications',member='Notify'",
                    "interface='org.freedesktop.Notifications',member='ActionInvoked'")
                    .redirectError(home.resolve("dbus-monitor.err").toFile()).start();
            Process mon = monitor;
            Thread busReader = new Thread(() -> readBus(mon, bus), "dbus-monitor");
            busReader.setDaemon(true);
            busReader.start();

            // Down runs in the finally block even when up fails half-way: services that did start must not linger.
            servicesUp = true;
            Cmd.ok(terok(repo, env, "services", "up"));
            ch = UnixChannels.open(ServiceName.SHIELD.socket(home.resolve("run")));
            ShieldServiceGrpc.ShieldServiceBlockingStub shield = ShieldServiceGrpc.newBlockingStub(ch);
            HooksStatus hooks = shield.withDeadlineAfter(30, TimeUnit.SECONDS).installHooks(HooksRequest.getDefaultInstance());
            if (!hooks.getInstalled()) {
                throw new IllegalStateException("hooks not installed: " + hooks);
            }
            // shield's own event times, first event per destination
            Map<String, Instant> blockedAt = new ConcurrentHashMap<>();
            ShieldServiceGrpc.ShieldServiceBlockingStub events = ShieldServiceGrpc.newBlockingStub(ch);
            Thread eventReader = new Thread(() -> {
                try {
                    Iterator<BlockedConnection> it = events.blockedEvents(BlockedEventsRequest.getDefaultInstance());
                    while (it.hasNext()) {
                        BlockedConnection b = it.next();
                        blockedAt.putIfAbsent(b.getDestinationIp(),
                                ProtoTime.toInstant(b.getTime()));
                    }
                } catch (RuntimeException e) {
                    // channel closed at the end
                }
            }, "blocked-events");
            eventReader.setDaemon(true);
            eventReader.start();

            String task = Cmd.ok(terok(repo, env, "run", "-d", "--name", name, IMAGE, "sleep", "600")).strip();
            ShieldState state = shield.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .status(ShieldTaskRef.newBuilder().setTaskId(task).build()).getState();
            if (state != ShieldState.SHIELD_STATE_UP) {
                throw new IllegalStateException("shield not up in the task: " + state);
            }
            Thread.sleep(1500); // shield attaches its NFLOG reader within ~500 ms of a start

            List<Double> attemptToNotify = new ArrayList<>();
            List<Double> eventToNotify = new ArrayList<>();
            List<Double> attemptToEvent = new ArrayList<>();
            List<Double> allowToConnect = new ArrayList<>();
            for (int i = -WARMUP; i < runs; i++) {
                String ip = net + "." + (FIRST + WARMUP + i);
                Pattern ipPattern = Pattern.compile(Pattern.quote(ip) + "(?![0-9])");
                // (1) the blocked attempt: the container's clock just before curl starts
                List<String> out = podmanExec(conf, name,
                        "date +%s%N; curl -s -m 2 -o /dev/null http://" + ip + "/; echo $?");
                double attempt = Long.parseLong(out.get(0).strip()) / 1e9;
                if (out.get(1).strip().equals("0")) {
                    throw new IllegalStateException(ip + " was reachable before any Allow");
                }
                BusMessage notify = awaitMessage(bus, "Notify", ipPattern, 0, 10_000);
                Instant ev = await(() -> blockedAt.get(ip), 5_000, "BlockedEvents for " + ip);
                double evSec = ev.getEpochSecond() + ev.getNano() / 1e9;
                Cmd.await(countAtLeast(desktop, 1), "the prompt on the desktop");

                // (2) a retry loop in the task, running before the Allow; prints the time of its first success
                ProcessBuilder lpb = new ProcessBuilder("podman", "exec", name, "sh", "-c",
                        "echo go; n=0; while ! curl -s -m 1 -o /dev/null http://" + ip + "/; do n=$((n+1)); "
                                + "[ $n -gt 2000 ] && exit 1; done; date +%s%N")
                        .redirectError(ProcessBuilder.Redirect.DISCARD);
                lpb.environment().put("CONTAINERS_CONF", conf.toString());
                Process loop = lpb.start();
                BufferedReader lr = new BufferedReader(new InputStreamReader(loop.getInputStream(), StandardCharsets.UTF_8));
                if (!"go".equals(lr.readLine())) {
                    throw new IllegalStateException("retry loop did not start");
                }
                Thread.sleep(50);
                double beforeChoose = System.currentTimeMillis() / 1e3;
                String menu = desktop.choose("Allow (Blocked: " + ip + " port 80");
                if (!menu.contains(ip)) {
                    throw new IllegalStateException("dunst offered no Allow for " + ip + ": " + menu);
                }
                String first = lr.readLine();
                if (!loop.waitFor(30, TimeUnit.SECONDS) || loop.exitValue() != 0 || first == null) {
                    throw new IllegalStateException("no connection to " + ip + " after Allow");
                }
                double connected = Long.parseLong(first.strip()) / 1e9;
                BusMessage action = awaitMessage(bus, "ActionInvoked", null, beforeChoose - 0.001, 5_000);
                if (i >= 0) {
                    attemptToNotify.add((notify.epochSeconds() - attempt) * 1e3);
                    eventToNotify.add((notify.epochSeconds() - evSec) * 1e3);
                    attemptToEvent.add((evSec - attempt) * 1e3);
                    allowToConnect.add((connected - action.epochSeconds()) * 1e3);
                }
                Thread.sleep(200);
                desktop.run("dunstctl", "close-all");
                Cmd.await(countAtMost(desktop, 0), "an empty desktop");
            }

            System.out.println("| measurement | runs | median ms | p10 ms | p90 ms |");
            System.out.println("|---|---|---|---|---|");
            System.out.println(new Stats(attemptToNotify).row(
                    "(1) blocked attempt (task's `date` just before `curl`) to `Notify` on the session bus"));
            System.out.println(new Stats(attemptToEvent).row(
                    "of which: attempt to shield's `BlockedEvents` event (curl start-up, NFLOG, tcpdump, parse)"));
            System.out.println(new Stats(eventToNotify).row(
                    "of which: shield's event to `Notify` (stream, clearance request, dbus-java call)"));
            System.out.println(new Stats(allowToConnect).row(
                    "(2) `ActionInvoked` (Allow in dunst) on the bus to the task's first successful connection"));
        } catch (Exception | Error e) {
            // keep the services' logs for a look, outside the directory removed below
            Cmd.run("cp", "-r", home.resolve("state/logs").toString(), home + "-logs");
            System.err.println("services' logs kept in " + home + "-logs");
            throw e;
        } finally {
            if (servicesUp) {
                Cmd.exec(terok(repo, env, "rm", "-f", name));
                if (ch != null) {
                    try {
                        ShieldServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                                .uninstallHooks(HooksRequest.getDefaultInstance());
                    } catch (RuntimeException e) {
                        // services gone
                    }
                    ch.shutdownNow();
                }
                Cmd.exec(terok(repo, env, "services", "down"));
            }
            Cmd.exec(HostProcess.of("podman", "rm", "-f", "-t", "0", name).env("CONTAINERS_CONF", conf.toString()));
            Cmd.stop(monitor);
            if (desktop != null) {
                desktop.close();
            }
            if (podman != null) {
                podman.close();
            }
            if (internet != null) {
                internet.close();
            }
            Cmd.run("rm", "-rf", home.toString());
        }
    }

    static java.util.function.BooleanSupplier countAtMost(DesktopSession d, int n) {
        return () -> d.displayed() <= n;
    }

    static java.util.function.BooleanSupplier countAtLeast(DesktopSession d, int n) {
        return () -> d.displayed() >= n;
    }

    /**
     * dbus-monitor's format: a header line per message ("method call time=SECONDS.MICROS ... member=NAME"),
     * then indented argument lines. The time is when dbus-monitor received the message from the bus.
     */
    static void readBus(Process p, List<BusMessage> bus) {
        Pattern header = Pattern.compile("^(method call|signal|method return|error) time=([0-9.]+) .*member=(\\w+)");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            BusMessage current = null;
            while ((line = r.readLine()) != null) {
                var m = header.matcher(line);
                if (m.find()) {
                    current = new BusMessage(Double.parseDouble(m.group(2)), m.group(3), new StringBuilder());
                    synchronized (bus) {
                        bus.add(current);
                    }
                } else if (current != null) {
                    synchronized (bus) {
                        current.body().append(line).append('\n');
                    }
                }
            }
        } catch (IOException e) {
            // monitor stopped
        }
    }

    static BusMessage awaitMessage(List<BusMessage> bus, String member, Pattern body, double notBefore, long timeoutMs)
            throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            synchronized (bus) {
                for (BusMessage m : bus) {
                    if (m.member().equals(member) && m.epochSeconds() >= notBefore
                            && (body == null || body.matcher(m.body()).find())) {
                        return m;
                    }
                }
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("no " + member + (body == null ? "" : " for " + body) + " on the bus");
    }

    static <T> T await(java.util.function.Supplier<T> s, long timeoutMs, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            T v = s.get();
            if (v != null) {
                return v;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException(what + " did not come within " + timeoutMs + " ms");
    }

    /** A task's shell script through {@code podman exec}; its output lines (the script reports its own failures). */
    static List<String> podmanExec(Path conf, String container, String script) {
        return Cmd.exec(HostProcess.of("podman", "exec", container, "sh", "-c", script)
                .env("CONTAINERS_CONF", conf.toString())).out().lines().toList();
    }

    /** {@code bin/terok} of the checkout on the private terok home in {@code env}. */
    static HostProcess terok(Path repo, Map<String, String> env, String... args) {
        List<String> argv = new ArrayList<>(List.of(repo.resolve("bin/terok").toString()));
        argv.addAll(List.of(args));
        return HostProcess.of(argv).env(env).timeout(Duration.ofSeconds(180));
    }
}
