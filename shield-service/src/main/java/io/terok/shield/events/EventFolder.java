package io.terok.shield.events;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides which blocked packets of a task become events, so a task that floods (a thousand new blocked destinations
 * a second: new ports of a few addresses) costs the service a bounded number of events per window instead of one per
 * packet. Per task and destination address, within a window (30 s):
 * <ul>
 *   <li>the first packet to an address always becomes an event at once (never held back, never folded);</li>
 *   <li>the first packet to each further port of that address does too, up to {@code portsPerAddress} ports;</li>
 *   <li>everything else (repeats of a port, ports past the limit) is folded: counted, not emitted. Repeats of a port
 *       that already had its event are reported in the {@code count} of that port's next event (as before); the
 *       connections past the port limit are reported once after the address's window ended
 *       ({@link #expire}: "N more blocked connections to ADDR (M more ports) folded", for the audit).</li>
 * </ul>
 * State is per task, so one task's flood never delays or folds another task's events. Thread-safe. Plain: no I/O.
 */
public final class EventFolder {
    /** An event to emit: the packet's own, with {@code count} = this one plus the repeats folded since the last. */
    public record Emit(int count) {
    }

    /** Connections of a task to one address that were folded past the port limit in a window that has closed. */
    public record Folded(String task, String address, int connections, int ports) {
        public String describe() {
            return connections + " more blocked connection" + (connections == 1 ? "" : "s") + " to " + address
                    + " (" + ports + " more port" + (ports == 1 ? "" : "s") + ") folded";
        }
    }

    private static final class AddressWindow {
        final Instant start;
        final Map<String, Integer> repeats = new HashMap<>();   // "port/proto" -> repeats since its event
        final Map<String, Integer> carriedIn;                  // repeats of the previous window, for the next event
        int foldedConnections;
        final Set<String> foldedPorts = new HashSet<>();

        AddressWindow(Instant start, Map<String, Integer> carriedIn) {
            this.start = start;
            this.carriedIn = carriedIn;
        }

        int emit(String portKey) {
            repeats.put(portKey, 0);
            Integer c = carriedIn.remove(portKey);
            return 1 + (c == null ? 0 : c);
        }
    }

    private final Duration window;
    private final int portsPerAddress;
    /** task -> address -> its window (kept one more window after it ended, for the repeats it carries) */
    private final Map<String, Map<String, AddressWindow>> tasks = new HashMap<>();
    private final List<Folded> pending = new ArrayList<>();

    public EventFolder(Duration window, int portsPerAddress) {
        if (window.isNegative() || window.isZero() || portsPerAddress < 1) {
            throw new IllegalArgumentException("window " + window + ", ports per address " + portsPerAddress);
        }
        this.window = window;
        this.portsPerAddress = portsPerAddress;
    }

    /** One blocked packet; the event to emit for it, or null when it is folded. */
    public synchronized Emit offer(String task, String address, int port, String protocol, Instant now) {
        Map<String, AddressWindow> addresses = tasks.computeIfAbsent(task, t -> new HashMap<>());
        AddressWindow w = addresses.get(address);
        String portKey = port + "/" + protocol;
        if (w == null || ended(w, now)) {
            Map<String, Integer> carry = new HashMap<>();
            if (w != null) {
                report(task, address, w);
                w.repeats.forEach((k, r) -> {
                    if (r > 0) {
                        carry.put(k, r);
                    }
                });
            }
            w = new AddressWindow(now, carry);
            addresses.put(address, w);
            return new Emit(w.emit(portKey));
        }
        Integer r = w.repeats.get(portKey);
        if (r != null) {
            w.repeats.put(portKey, r + 1);
            return null;
        }
        if (w.repeats.size() < portsPerAddress) {
            return new Emit(w.emit(portKey));
        }
        w.foldedConnections++;
        w.foldedPorts.add(portKey);
        return null;
    }

    /**
     * What was folded past the port limit in the windows that ended by {@code now} (each reported once), and forgets
     * windows older than two: a flood of distinct destinations does not pile up.
     */
    public synchronized List<Folded> expire(Instant now) {
        for (Iterator<Map.Entry<String, Map<String, AddressWindow>>> t = tasks.entrySet().iterator(); t.hasNext(); ) {
            Map.Entry<String, Map<String, AddressWindow>> task = t.next();
            for (Iterator<Map.Entry<String, AddressWindow>> a = task.getValue().entrySet().iterator(); a.hasNext(); ) {
                Map.Entry<String, AddressWindow> e = a.next();
                if (ended(e.getValue(), now)) {
                    report(task.getKey(), e.getKey(), e.getValue());
                    if (!now.isBefore(e.getValue().start.plus(window.multipliedBy(2)))) {
                        a.remove();
                    }
                }
            }
            if (task.getValue().isEmpty()) {
                t.remove();
            }
        }
        List<Folded> out = List.copyOf(pending);
        pending.clear();
        return out;
    }

    /** Forgets a task (its container is gone). */
    public synchronized void forget(String task) {
        tasks.remove(task);
    }

    /** How many address windows are kept (for tests: a flood of distinct addresses must not pile up). */
    public synchronized int openWindows() {
        return tasks.values().stream().mapToInt(Map::size).sum();
    }

    private boolean ended(AddressWindow w, Instant now) {
        return !now.isBefore(w.start.plus(window));
    }

    private void report(String task, String address, AddressWindow w) {
        if (w.foldedConnections > 0) {
            pending.add(new Folded(task, address, w.foldedConnections, w.foldedPorts.size()));
            w.foldedConnections = 0;
            w.foldedPorts.clear();
        }
    }
}
