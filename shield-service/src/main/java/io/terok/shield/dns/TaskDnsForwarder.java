package io.terok.shield.dns;

import io.terok.common.HostProcess;
import io.terok.common.ServiceException;
import io.terok.shield.netns.NetnsRunner;
import io.terok.shield.policy.Policy;
import io.terok.shield.task.TaskStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * The per-task DNS forwarder: a dnsmasq in the task's network namespace on 127.0.0.1:53, the task's only resolver.
 * It forwards to the upstream resolver and writes every address an allowed name resolves to into the ruleset's
 * learned sets (relayed names into the relayed sets) through {@code nftset=}; denied names get no answer. The hook
 * starts it at every container start from {@code dnsmasq.conf} in the task's state directory; a live change of
 * names restarts it here.
 */
public final class TaskDnsForwarder {
    private static final Logger LOG = Logger.getLogger(TaskDnsForwarder.class.getName());

    private final TaskStore store;
    private final NetnsRunner runner;
    private final boolean rootless;

    public TaskDnsForwarder(TaskStore store, NetnsRunner runner, boolean rootless) {
        this.store = store;
        this.runner = runner;
        this.rootless = rootless;
    }

    /** {@code dnsmasq.conf} for {@code p}, keeping its pid file and query log in {@code dir}. */
    public String config(Policy p, Path dir) {
        StringBuilder sb = new StringBuilder();
        sb.append("# terok shield DNS forwarder for task ").append(p.taskId()).append(" (generated)\n");
        sb.append("listen-address=127.0.0.1\nport=53\nbind-interfaces\nno-resolv\nno-hosts\nno-poll\n");
        sb.append("cache-size=1000\n");
        sb.append("server=").append(p.upstreamDns().canonical()).append('\n');
        sb.append("pid-file=").append(dir.resolve("dnsmasq.pid")).append('\n');
        sb.append("log-queries\nlog-facility=").append(dir.resolve("dnsmasq.log")).append('\n');
        if (rootless) {
            // "root" is the operator inside podman's user namespace: no privilege to drop, and the operator can
            // still signal it. As real root, dnsmasq drops to nobody (keeping CAP_NET_ADMIN for nftset).
            sb.append("user=root\n");
        }
        for (String d : ForwarderDomains.allowed(p)) {
            // a profile name's addresses go to the set of its ports; a name allowed live to the any-port set
            List<Integer> ports = p.portsOf(d);
            String v4 = ports == null ? "learned_v4" : io.terok.shield.policy.RulesetGenerator.learnedSet(ports, "v4");
            String v6 = ports == null ? "learned_v6" : io.terok.shield.policy.RulesetGenerator.learnedSet(ports, "v6");
            sb.append("nftset=/").append(d).append("/4#inet#terok_shield#").append(v4).append(",6#inet#terok_shield#").append(v6).append('\n');
        }
        for (String d : ForwarderDomains.relayed(p)) {
            sb.append("nftset=/").append(d).append("/4#inet#terok_shield#relayed_v4,6#inet#terok_shield#relayed_v6\n");
        }
        for (String d : ForwarderDomains.denied(p)) {
            sb.append("address=/").append(d).append("/\n");
        }
        return sb.toString();
    }

    /**
     * Stops the task's forwarder, if its pid file names a live dnsmasq started with this task's configuration (a
     * recycled pid is left alone). Best effort: a failure is logged.
     */
    public void stop(String taskId) {
        Path pidFile = store.dir(taskId).resolve("dnsmasq.pid");
        try {
            Optional<ProcessHandle> h = running(store, taskId);
            if (h.isPresent()) {
                h.get().destroy();
                h.get().onExit().get(2, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(pidFile);
        } catch (IOException | ExecutionException | TimeoutException e) {
            LOG.warning("task " + taskId + ": could not stop the DNS forwarder: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The task's live dnsmasq, if its pid file names one started with this task's configuration. */
    static Optional<ProcessHandle> running(TaskStore store, String taskId) throws IOException {
        Path dir = store.dir(taskId);
        Path pidFile = dir.resolve("dnsmasq.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        String s = Files.readString(pidFile, StandardCharsets.US_ASCII).trim();
        if (!s.matches("[0-9]{1,9}")) {
            return Optional.empty();
        }
        long dpid = Long.parseLong(s);
        Path cmdlineFile = Path.of("/proc/" + dpid + "/cmdline");
        String cmdline = Files.exists(cmdlineFile)
                ? Files.readString(cmdlineFile, StandardCharsets.UTF_8).replace('\0', ' ') : "";
        return cmdline.contains("--conf-file=" + dir.resolve("dnsmasq.conf")) ? ProcessHandle.of(dpid) : Optional.empty();
    }

    /**
     * The task's query log ({@code dnsmasq.log}, a line per lookup the task makes) rotates like the audit log: past
     * {@code maxBytes} it is copied to {@code dnsmasq.log.1} and truncated in place. dnsmasq appends (O_APPEND) and,
     * having dropped root, could not reopen a file in the task's 0700 directory, so the file it holds open is kept;
     * a line written between the copy and the truncation is lost. Returns true when it rotated; a failure is logged.
     */
    public static boolean rotateLog(TaskStore store, String taskId, long maxBytes) {
        Path log = store.dir(taskId).resolve("dnsmasq.log");
        try {
            if (!Files.exists(log, LinkOption.NOFOLLOW_LINKS) || Files.size(log) <= maxBytes) {
                return false;
            }
            Path previous = log.resolveSibling("dnsmasq.log.1");
            Path tmp = log.resolveSibling("dnsmasq.log.1.tmp");
            Files.copy(log, tmp, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
            Files.move(tmp, previous, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                ch.truncate(0);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warning("task " + taskId + ": could not rotate the DNS query log: " + e.getMessage());
            return false;
        }
    }

    /**
     * Restarts the forwarder in the netns of {@code pid} from the task's {@code dnsmasq.conf} (already written for
     * {@code p}) and resolves {@code p}'s names through it, so their addresses are in the sets right away.
     */
    public void restart(String taskId, int pid, Policy p) {
        stop(taskId);
        Path conf = store.dir(taskId).resolve("dnsmasq.conf");
        HostProcess.Result r = runner.run(pid, List.of("dnsmasq", "--conf-file=" + conf), null, Duration.ofSeconds(10));
        if (r.exitCode() != 0) {
            throw ServiceException.precondition("the task's DNS forwarder did not restart: " + r.stderr().strip());
        }
        preResolve(pid, ForwarderDomains.preResolved(p));
    }

    private void preResolve(int pid, List<String> domains) {
        List<Thread> threads = new ArrayList<>();
        for (String d : domains) {
            Thread t = new Thread(() -> {
                try {
                    runner.run(pid, List.of("busybox", "nslookup", d, "127.0.0.1"), null, Duration.ofSeconds(3));
                } catch (RuntimeException e) {
                    // best effort: resolved on first use otherwise
                }
            }, "shield-preresolve");
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            try {
                t.join(4000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
