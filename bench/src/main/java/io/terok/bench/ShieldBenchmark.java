package io.terok.bench;

import io.grpc.ManagedChannel;
import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import io.terok.api.v1.PrepareTaskRequest;
import io.terok.api.v1.PrepareTaskResponse;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.api.v1.ShieldTaskRef;
import io.terok.api.v1.TargetRequest;
import io.terok.common.HostProcess;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.RandomHex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The shield's figures (issue 5), each against a baseline in the same run, as root:
 * (1) loading a task's ruleset into its container's netns, as the hook does ({@code nsenter -t PID -n nft -f}),
 * against {@code nsenter -t PID -n true} (the cost of entering the namespace alone);
 * (2) from the Allow call to the first successful connection from the task's namespace, against a connection
 * to an address allowed from the start;
 * (3) {@code podman run --rm} of a task container with the shield hook (ruleset, DNS forwarder) against the same
 * command without it.
 * Starts shield-service's jar on a private runtime directory; hooks go to a private directory registered only in
 * the private containers.conf its podman calls use; traffic goes only to a fake-internet netns it creates
 * (198.19.N.0/24) and removes afterwards. Usage: ShieldBenchmark REPO [RUNS]. Prints Markdown tables.
 */
public final class ShieldBenchmark {
    static final String IMAGE = "localhost/terok-agent:latest";

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]).toAbsolutePath().normalize();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("run as root (the fake internet needs a network namespace)");
        }
        Path home = Files.createTempDirectory("terok-bench-shield-");
        FakeInternet internet = null;
        Process service = null;
        Path conf = home.resolve("containers.conf");
        List<String> containers = new ArrayList<>();
        try {
            // fake internet: .2 resolver (name.test points at it), .3.. one fresh destination per run
            internet = FakeInternet.spec("tsb").addresses(3, 6 + runs).name("name.test", 2).start();
            String net = internet.net;

            // shield-service on a private runtime dir
            Map<String, String> env = Map.of(
                    "TEROK_RUNTIME_DIR", home.resolve("run").toString(),
                    "TEROK_DATA_DIR", home.resolve("data").toString(),
                    "TEROK_STATE_DIR", home.resolve("state").toString(),
                    "TEROK_CONFIG_DIR", home.resolve("config").toString(),
                    "TEROK_SHIELD_UPSTREAM_DNS", net + ".2",
                    "TEROK_SHIELD_DEFAULT_PROFILES", "none-bench",
                    "TEROK_SHIELD_HOOKS_REGISTRATION", home.resolve("containers.conf.d/terok-shield.conf").toString());
            Files.createDirectories(home.resolve("config/shield/profiles"));
            Files.writeString(home.resolve("config/shield/profiles/none-bench.txt"), "# nothing\n");
            Files.createDirectories(home.resolve("run"));
            Path sock = ServiceName.SHIELD.socket(home.resolve("run"));
            service = ServiceCommand.start(List.of("java", "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar",
                    repo.resolve("shield-service/target/quarkus-app/quarkus-run.jar").toString()), env, home.resolve("shield.log"), sock);
            ManagedChannel ch = UnixChannels.open(sock);
            ShieldServiceGrpc.ShieldServiceBlockingStub shield = ShieldServiceGrpc.newBlockingStub(ch);
            HooksStatus hooks = shield.withDeadlineAfter(30, TimeUnit.SECONDS).installHooks(HooksRequest.getDefaultInstance());
            Files.writeString(conf, "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n\n"
                    + "[engine]\nruntime = \"runc\"\nhooks_dir = [\"" + hooks.getHooksDir() + "\"]\n");

            String task = RandomHex.of(16);
            PrepareTaskResponse p = shield.withDeadlineAfter(30, TimeUnit.SECONDS).prepareTask(PrepareTaskRequest.newBuilder()
                    .setTaskId(task).setContainerName("bench-shield").setHostAddress("10.0.2.2").build());
            String name = "bench-shield-" + task.substring(0, 8);
            containers.add(name);
            Cmd.ok(podman(conf, taskArgs(name, task, true, "-d", "sleep", "600")));
            int pid = Integer.parseInt(Cmd.ok(podman(conf, List.of("inspect", "--format", "{{.State.Pid}}", name))).strip());
            Path ruleset = home.resolve("state/shield").resolve(task).resolve("ruleset.nft");

            // the hook itself, as podman calls it at createRuntime (ruleset + pid record + forwarder restart)
            String cid = Cmd.ok(podman(conf, List.of("inspect", "--format", "{{.Id}}", name))).strip();
            String state = "{\"ociVersion\":\"1.0.2\",\"id\":\"" + cid + "\",\"status\":\"creating\",\"pid\":" + pid
                    + ",\"bundle\":\"/\",\"annotations\":{\"io.terok.shield.task\":\"" + task + "\"}}";
            List<Double> hook = new ArrayList<>();
            for (int i = -3; i < runs; i++) {
                long t0 = System.nanoTime();
                Cmd.ok(HostProcess.of(Path.of(hooks.getHooksDir(), "terok-shield-hook").toString(), "createRuntime").stdin(state));
                if (i >= 0) {
                    hook.add(ms(t0, System.nanoTime()));
                }
            }
            List<Double> load = new ArrayList<>();
            List<Double> enter = new ArrayList<>();
            List<Double> allowToConnect = new ArrayList<>();
            List<Double> allowRpc = new ArrayList<>();
            List<Double> connectAllowed = new ArrayList<>();
            for (int i = -3; i < runs; i++) {
                long t0 = System.nanoTime();
                Cmd.ok("nsenter", "-t", "" + pid, "-n", "nft", "-f", ruleset.toString());
                long t1 = System.nanoTime();
                Cmd.ok("nsenter", "-t", "" + pid, "-n", "true");
                long t2 = System.nanoTime();
                if (i >= 0) {
                    load.add(ms(t0, t1));
                    enter.add(ms(t1, t2));
                }
            }
            // a fresh address per round: allowed live, then connected to from the task's namespace
            String warm = net + ".3";
            shield.withDeadlineAfter(30, TimeUnit.SECONDS).allow(TargetRequest.newBuilder().setTaskId(task).setTarget(warm).build());
            for (int i = -2; i < runs; i++) {
                String ip = net + "." + (6 + i);
                long t0 = System.nanoTime();
                shield.withDeadlineAfter(30, TimeUnit.SECONDS).allow(TargetRequest.newBuilder().setTaskId(task).setTarget(ip).build());
                long t1 = System.nanoTime();
                int tries = 0;
                while (Cmd.run("nsenter", "-t", "" + pid, "-n", "curl", "-s", "-o", "/dev/null", "-m", "1", "http://" + ip + "/").code() != 0) {
                    if (++tries > 20) {
                        throw new IllegalStateException("no connection to " + ip + " after allow");
                    }
                }
                long t2 = System.nanoTime();
                Cmd.run("nsenter", "-t", "" + pid, "-n", "curl", "-s", "-o", "/dev/null", "-m", "1", "http://" + warm + "/");
                long t3 = System.nanoTime();
                if (i >= 0) {
                    allowRpc.add(ms(t0, t1));
                    allowToConnect.add(ms(t0, t2));
                    connectAllowed.add(ms(t2, t3));
                }
            }
            Cmd.ok(podman(conf, List.of("rm", "-f", "-t", "0", name)));

            List<Double> withShield = new ArrayList<>();
            List<Double> without = new ArrayList<>();
            for (int i = -3; i < runs; i++) {
                long t0 = System.nanoTime();
                Cmd.ok(podman(conf, taskArgs(null, task, true, "--rm", "true")));
                long t1 = System.nanoTime();
                Cmd.ok(podman(conf, taskArgs(null, task, false, "--rm", "true")));
                long t2 = System.nanoTime();
                if (i >= 0) {
                    withShield.add(ms(t0, t1));
                    without.add(ms(t1, t2));
                }
            }
            shield.withDeadlineAfter(30, TimeUnit.SECONDS).releaseTask(ShieldTaskRef.newBuilder().setTaskId(task).build());
            shield.withDeadlineAfter(30, TimeUnit.SECONDS).uninstallHooks(HooksRequest.getDefaultInstance());
            ch.shutdownNow();

            System.out.println("| measurement | runs | median ms | p10 ms | p90 ms |");
            System.out.println("|---|---|---|---|---|");
            System.out.println(new Stats(load).row("ruleset load into the task netns (`nsenter -n nft -f`, what the hook does)"));
            System.out.println(new Stats(hook).row("the whole createRuntime hook (ruleset, pid record, DNS forwarder start)"));
            System.out.println(new Stats(enter).row("baseline: `nsenter -n true` (entering the netns alone)"));
            System.out.println(new Stats(allowRpc).row("`Allow` RPC (validate, nft set update, persist, audit)"));
            System.out.println(new Stats(allowToConnect).row("`Allow` call to first successful connection (incl. one curl)"));
            System.out.println(new Stats(connectAllowed).row("baseline: one curl to an address allowed before"));
            System.out.println(new Stats(withShield).row("`podman run --rm` with the shield hook (ruleset + DNS forwarder)"));
            System.out.println(new Stats(without).row("baseline: the same `podman run --rm` without the hook"));
        } finally {
            for (String c : containers) {
                Cmd.exec(podman(conf, List.of("rm", "-f", "-t", "0", c)));
            }
            Cmd.stop(service);
            if (internet != null) {
                internet.close();
            }
            Cmd.run("rm", "-rf", home.toString());
        }
    }

    static List<String> taskArgs(String name, String task, boolean shield, String... rest) {
        List<String> a = new ArrayList<>(List.of("run"));
        if (name != null) {
            a.addAll(List.of("--name", name));
        }
        a.addAll(List.of("--cap-drop=all", "--security-opt=no-new-privileges", "--userns=auto", "--user=1000:1000",
                "--network=slirp4netns:allow_host_loopback=true", "--dns=127.0.0.1"));
        if (shield) {
            a.addAll(List.of("--annotation", "io.terok.shield.task=" + task));
        }
        a.add(IMAGE);
        a.addAll(List.of(rest));
        if (rest[0].equals("--rm") || rest[0].equals("-d")) {
            // the option belongs before the image
            a.remove(rest[0]);
            a.add(1, rest[0]);
        }
        return a;
    }

    static double ms(long a, long b) {
        return (b - a) / 1e6;
    }

    /** podman with the benchmark's private containers.conf (its hooks dir is the shield's under test). */
    static HostProcess podman(Path conf, List<String> args) {
        List<String> argv = new ArrayList<>(List.of("podman"));
        argv.addAll(args);
        return HostProcess.of(argv).env("CONTAINERS_CONF", conf.toString()).timeout(Duration.ofSeconds(120));
    }
}
