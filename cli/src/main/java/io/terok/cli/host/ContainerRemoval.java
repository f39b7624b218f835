package io.terok.cli.host;

import io.terok.common.HostProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Removes the deployment's containers and waits until none of their processes is left. Podman's own answer cannot be
 * trusted for that while another podman is stopping a container (systemd's ExecStop, a `podman rm` still inside its
 * stop timeout): measured on podman 4.3.1, a second `podman rm --force` or a `podman rmi --force` of its image returns
 * at once and drops the container's record while its process runs on until the first one's timeout kills it. So what
 * is left is read from the processes: a {@code conmon} of this user whose bundle lies in this podman's storage and
 * that names one of the containers (by id, or by name for one whose record is already gone).
 */
final class ContainerRemoval {
    /** How long a container gets to stop on SIGTERM before podman kills it (the units' own stop timeout). */
    static final Duration STOP_TIME = Duration.ofSeconds(10);

    private final String podman;

    ContainerRemoval(String podman) {
        this.podman = podman;
    }

    /** One container still there: its name, id and conmon's pid. */
    record Left(String name, String id, long conmonPid) {
        String describe() {
            return name + " (container " + (id.length() > 12 ? id.substring(0, 12) : id) + ", conmon pid " + conmonPid + ")";
        }
    }

    /**
     * Removes every container of {@code images} or named one of {@code names} and waits (at most {@code deadline})
     * until no process of any of them runs; answers how many were removed and what is still left.
     */
    Result removeAll(List<String> images, List<String> names, Duration deadline) throws IOException {
        String root = run("info", "--format", "{{.Store.GraphRoot}}").strip();
        Set<String> ids = new LinkedHashSet<>();
        for (String image : images) {
            ids.addAll(lines(run("ps", "--all", "--no-trunc", "--format", "{{.ID}}", "--filter", "ancestor=" + image)));
        }
        for (String name : names) {
            ids.addAll(lines(run("ps", "--all", "--no-trunc", "--format", "{{.ID}}", "--filter", "name=^" + name + "$")));
        }
        if (!ids.isEmpty()) {
            List<String> rm = new ArrayList<>(List.of(podman, "rm", "--force", "--ignore", "--time", Long.toString(STOP_TIME.toSeconds())));
            rm.addAll(ids);
            // Its answer is no proof (see above): what is left is read from the processes below.
            HostProcess.of(rm).timeout(STOP_TIME.plus(ImageBuilder.QUICK)).run();
        }
        long end = System.nanoTime() + deadline.toNanos();
        List<Left> left = left(root, ids, Set.copyOf(names));
        while (!left.isEmpty() && System.nanoTime() < end) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            left = left(root, ids, Set.copyOf(names));
        }
        return new Result(ids.size(), left);
    }

    record Result(int removed, List<Left> left) {
    }

    /** The conmon processes of this user in storage {@code root} naming one of {@code ids} or {@code names}. */
    static List<Left> left(String root, Set<String> ids, Set<String> names) {
        List<Left> left = new ArrayList<>();
        long uid = uid();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    if ((Integer) Files.getAttribute(p, "unix:uid") != uid) {
                        continue;
                    }
                    List<String> argv = List.of(new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).split("\0"));
                    if (argv.isEmpty() || !argv.get(0).endsWith("conmon")) {
                        continue;
                    }
                    String id = arg(argv, "-c");
                    String name = arg(argv, "-n");
                    String bundle = arg(argv, "-b");
                    if (bundle != null && bundle.startsWith(root + "/") && (ids.contains(id) || names.contains(name))) {
                        left.add(new Left(name == null ? "?" : name, id == null ? "?" : id, Long.parseLong(p.getFileName().toString())));
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended meanwhile, or is not readable: not one of ours
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read /proc: " + e.getMessage(), e);
        }
        return left;
    }

    private static String arg(List<String> argv, String flag) {
        int i = argv.indexOf(flag);
        return i >= 0 && i + 1 < argv.size() ? argv.get(i + 1) : null;
    }

    private static long uid() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String run(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(podman));
        argv.addAll(List.of(args));
        HostProcess.Result r = HostProcess.of(argv).timeout(ImageBuilder.QUICK).run();
        if (!r.ok()) {
            throw new IOException(String.join(" ", argv) + " failed: " + r.firstLine());
        }
        return r.stdout();
    }

    private static List<String> lines(String s) {
        return s.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }
}
