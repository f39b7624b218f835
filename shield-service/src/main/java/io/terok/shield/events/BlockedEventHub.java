package io.terok.shield.events;

import io.terok.shield.dns.TaskDnsForwarder;
import io.terok.shield.netns.NetnsRunner;
import io.terok.shield.netns.TaskPids;
import io.terok.shield.policy.RulesetGenerator;
import io.terok.shield.task.AuditLog;
import io.terok.shield.task.TaskStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the packets a task's firewall rejects into {@link BlockedEvent}s. For every running task (the pid file the
 * hook writes) it runs one reader in the task's network namespace, {@code tcpdump -i nflog:GROUP}, which sees
 * exactly the packets of the logged reject rules (blocked and private; explicit denies and bypass logging use
 * another group) and, on a third group, the first packet through after each Allow with a port. Events are folded per task and destination
 * address within a window ({@link EventFolder}: a flood costs a bounded number of events), written to the task's audit
 * log and handed to subscribers (the BlockedEvents stream). The domain comes from the task's forwarder log.
 */
public final class BlockedEventHub implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BlockedEventHub.class.getName());
    private static final Pattern DNS_ANSWER = Pattern.compile("\\b(?:reply|cached) (\\S+) is ([0-9a-fA-F:.]+)$");

    private record Subscriber(String task, boolean includePassed, Consumer<BlockedEvent> sink) {
    }

    private record Reader(int pid, Process process) {
    }

    private final TaskStore store;
    private final NetnsRunner runner;
    private final int group;
    private final Clock clock;
    private final AuditLog audit;
    private final long dnsLogMaxBytes;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final Map<String, Reader> readers = new ConcurrentHashMap<>();
    private final EventFolder folder;
    private final Thread scanner;
    private volatile boolean closed;

    public BlockedEventHub(TaskStore store, NetnsRunner runner, int group, Duration window, Clock clock, AuditLog audit,
                           Duration scanEvery) {
        this(store, runner, group, window, clock, audit, scanEvery, AuditLog.DEFAULT_MAX_BYTES);
    }

    /** @param dnsLogMaxBytes size past which each scan rotates a task's dnsmasq query log */
    public BlockedEventHub(TaskStore store, NetnsRunner runner, int group, Duration window, Clock clock, AuditLog audit,
                           Duration scanEvery, long dnsLogMaxBytes) {
        this(store, runner, group, window, clock, audit, scanEvery, dnsLogMaxBytes, DEFAULT_PORTS_PER_ADDRESS);
    }

    /** Events per address and window: the first packet to each of this many ports; the rest folded (see EventFolder). */
    public static final int DEFAULT_PORTS_PER_ADDRESS = 8;

    /** @param portsPerAddress ports of one address that get an event of their own per window ({@link EventFolder}) */
    public BlockedEventHub(TaskStore store, NetnsRunner runner, int group, Duration window, Clock clock, AuditLog audit,
                           Duration scanEvery, long dnsLogMaxBytes, int portsPerAddress) {
        this.folder = new EventFolder(window, portsPerAddress);
        this.dnsLogMaxBytes = dnsLogMaxBytes;
        this.store = store;
        this.runner = runner;
        this.group = group;
        this.clock = clock;
        this.audit = audit;
        this.scanner = new Thread(() -> {
            while (!closed) {
                try {
                    scan();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "blocked-event scan failed: " + e.getMessage());
                }
                try {
                    Thread.sleep(scanEvery.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "shield-events-scan");
        scanner.setDaemon(true);
        scanner.start();
    }

    /** Receives every blocked and state event of {@code task} (every task when empty) until closed. */
    public AutoCloseable subscribe(String task, Consumer<BlockedEvent> sink) {
        return subscribe(task, false, sink);
    }

    /** As {@link #subscribe(String, Consumer)}, and with {@code includePassed} the first packets through as well. */
    public AutoCloseable subscribe(String task, boolean includePassed, Consumer<BlockedEvent> sink) {
        Subscriber s = new Subscriber(task == null ? "" : task, includePassed, sink);
        subscribers.add(s);
        scan();
        return () -> subscribers.remove(s);
    }

    /** Starts readers for running tasks that have none; forgets readers whose container is gone. */
    synchronized void scan() {
        if (closed) {
            return;
        }
        // ended windows: what a flood had folded goes to the audit once ("N more blocked connections ... folded")
        for (EventFolder.Folded f : folder.expire(clock.instant())) {
            try {
                if (store.exists(f.task())) {
                    audit.append(store.auditLog(f.task()), f.task(), "blocked_folded", f.address(), f.describe());
                }
            } catch (RuntimeException ex) {
                LOG.fine("audit append failed: " + ex.getMessage());
            }
        }
        for (String task : store.taskIds()) {
            OptionalInt pid = TaskPids.running(store.dir(task));
            if (pid.isPresent()) {
                TaskDnsForwarder.rotateLog(store, task, dnsLogMaxBytes);
            }
            Reader r = readers.get(task);
            if (r != null && (!r.process.isAlive() || pid.isEmpty() || pid.getAsInt() != r.pid)) {
                r.process.destroy();
                readers.remove(task);
                r = null;
            }
            if (r == null && pid.isPresent()) {
                start(task, pid.getAsInt());
            }
        }
        readers.keySet().removeIf(t -> {
            if (!store.exists(t)) {
                readers.get(t).process.destroy();
                folder.forget(t);
                return true;
            }
            return false;
        });
    }

    private void start(String task, int pid) {
        List<String> argv = new ArrayList<>(runner.enter(pid));
        // one reader for both groups; -e makes each line name its group ("resource ID")
        argv.addAll(List.of("tcpdump", "-e", "-n", "-l", "-q", "-t", "-Z", "root", "-i",
                "nflog:" + group + "," + RulesetGenerator.passedGroup(group)));
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("PATH", NetnsRunner.PATH);
            Process p = pb.start();
            readers.put(task, new Reader(pid, p));
            Thread t = new Thread(() -> read(task, p), "shield-nflog-" + task.substring(0, 8));
            t.setDaemon(true);
            t.start();
        } catch (IOException e) {
            LOG.warning("task " + task + ": cannot start the NFLOG reader (tcpdump): " + e.getMessage());
        }
    }

    private void read(String task, Process p) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                Optional<NflogLine.Logged> logged = NflogLine.parseLogged(line);
                if (logged.isEmpty()) {
                    continue;
                }
                if (logged.get().group() == RulesetGenerator.passedGroup(group)) {
                    passed(task, logged.get().packet());
                } else {
                    offer(task, logged.get().packet());
                }
            }
        } catch (IOException e) {
            // reader ended with the container
        }
    }

    public void offer(String task, NflogLine.Packet pkt) {
        if (pkt.destination().toLowerCase().startsWith("ff")) {
            return;   // IPv6 multicast
        }
        Instant now = clock.instant();
        // folded before any work (the forwarder log's tail, the audit, the subscribers): a flood costs a map lookup
        EventFolder.Emit emit = folder.offer(task, pkt.destination(), pkt.port(), pkt.protocol(), now);
        if (emit == null) {
            return;
        }
        String domain = domainOf(task, pkt.destination()).orElse("");
        BlockedEvent e = new BlockedEvent(task, pkt.destination(), pkt.port(), pkt.protocol(), domain, now, emit.count());
        try {
            if (store.exists(task)) {
                audit.append(store.auditLog(task), task, "blocked",
                        pkt.destination() + (pkt.port() > 0 ? ":" + pkt.port() : ""),
                        pkt.protocol() + (domain.isEmpty() ? "" : " " + domain));
            }
        } catch (RuntimeException ex) {
            LOG.fine("audit append failed: " + ex.getMessage());
        }
        deliver(task, e);
    }

    /**
     * The first packet the task sent through an Allow with a port: the ruleset logs it once per Allow (a one-shot set
     * element), so it is neither de-duplicated nor folded. Audited as {@code passed}.
     */
    public void passed(String task, NflogLine.Packet pkt) {
        String domain = domainOf(task, pkt.destination()).orElse("");
        BlockedEvent e = BlockedEvent.passed(task, pkt.destination(), pkt.port(), pkt.protocol(), domain, clock.instant());
        try {
            if (store.exists(task)) {
                audit.append(store.auditLog(task), task, "passed",
                        pkt.destination() + (pkt.port() > 0 ? ":" + pkt.port() : ""),
                        pkt.protocol() + (domain.isEmpty() ? "" : " " + domain));
            }
        } catch (RuntimeException ex) {
            LOG.fine("audit append failed: " + ex.getMessage());
        }
        deliver(task, e);
    }

    /** Tells subscribers the task's shield is now in this state (a ShieldState name). */
    public void stateChanged(String task, String shieldState) {
        deliver(task, BlockedEvent.stateChange(task, shieldState, clock.instant()));
    }

    private void deliver(String task, BlockedEvent e) {
        for (Subscriber s : subscribers) {
            if ((s.task.isEmpty() || s.task.equals(task)) && (s.includePassed || !e.passed())) {
                try {
                    s.sink.accept(e);
                } catch (RuntimeException ex) {
                    subscribers.remove(s);
                }
            }
        }
    }

    /** The last name the task's forwarder answered with this address (from its log's tail). */
    Optional<String> domainOf(String task, String ip) {
        Path log = store.dir(task).resolve("dnsmasq.log");
        if (!Files.isRegularFile(log)) {
            return Optional.empty();
        }
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(0, len - 256 * 1024);
            byte[] buf = new byte[(int) (len - from)];
            f.seek(from);
            f.readFully(buf);
            String[] lines = new String(buf, StandardCharsets.UTF_8).split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                Matcher m = DNS_ANSWER.matcher(lines[i]);
                if (m.find() && m.group(2).equalsIgnoreCase(ip)) {
                    return Optional.of(m.group(1));
                }
            }
        } catch (IOException e) {
            // no domain then
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        closed = true;
        scanner.interrupt();
        readers.values().forEach(r -> r.process.destroy());
        readers.clear();
    }
}
