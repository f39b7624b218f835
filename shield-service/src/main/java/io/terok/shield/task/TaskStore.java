package io.terok.shield.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.terok.common.Ids;
import io.terok.common.PrivateFiles;
import io.terok.shield.policy.Mode;
import io.terok.shield.policy.Policy;
import io.terok.shield.policy.PortTarget;
import io.terok.shield.policy.Target;
import io.terok.shield.policy.Targets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Per-task state directories {@code <root>/<task id>/} (0700): {@code policy.json}, the generated
 * {@code ruleset.nft} the hook loads, {@code dnsmasq.conf}, {@code domains} (pre-resolved by the hook),
 * {@code audit.jsonl}; the hook adds {@code pid}, {@code dnsmasq.pid}, {@code dnsmasq.log}, {@code hook-error.log}.
 * Files are written to a temp file and renamed, so the hook never loads half a ruleset.
 */
public final class TaskStore {
    /** Built at the first write or read, not when the service starts: Jackson's first mapper loads ~380 classes. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }
    private final Path root;

    public TaskStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path dir(String taskId) {
        return root.resolve(Ids.taskId("task_id", taskId));
    }

    /** The task's audit log ({@link AuditLog}). */
    public Path auditLog(String taskId) {
        return dir(taskId).resolve("audit.jsonl");
    }

    public boolean exists(String taskId) {
        return Files.isDirectory(dir(taskId), LinkOption.NOFOLLOW_LINKS) && Files.exists(dir(taskId).resolve("policy.json"));
    }

    public Path ensureDir(String taskId) {
        PrivateFiles.directory(root);
        Path d = dir(taskId);
        if (Files.isSymbolicLink(d)) {
            throw new IllegalStateException(d + " is a symbolic link");
        }
        return PrivateFiles.directory(d);
    }

    public void write(String taskId, String name, String content) {
        PrivateFiles.write(ensureDir(taskId).resolve(name), content);
    }

    public Optional<String> read(String taskId, String name) {
        Path f = dir(taskId).resolve(name);
        try {
            return Files.exists(f) ? Optional.of(Files.readString(f, StandardCharsets.UTF_8)) : Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    public void savePolicy(Policy p) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("taskId", p.taskId());
        n.put("containerName", p.containerName());
        p.profiles().forEach(n.putArray("profiles")::add);
        n.put("hostAddress", p.hostAddress() == null ? "" : p.hostAddress().canonical());
        ArrayNode ports = n.putArray("hostPorts");
        p.hostPorts().forEach(ports::add);
        n.put("upstreamDns", p.upstreamDns().canonical());
        n.put("mode", p.mode().name());
        ArrayNode allow = n.putArray("allow");
        p.allow().forEach(t -> allow.add(t.canonical()));
        ArrayNode deny = n.putArray("deny");
        p.deny().forEach(t -> deny.add(t.canonical()));
        ArrayNode relayed = n.putArray("relayed");
        p.relayed().forEach(t -> relayed.add(t.canonical()));
        ArrayNode allowPorts = n.putArray("allowPorts");
        p.allowPorts().forEach(t -> allowPorts.add(t.canonical()));
        var domainPorts = n.putObject("domainPorts");
        p.domainPorts().forEach((d, opened) -> {
            ArrayNode a = domainPorts.putArray(d);
            opened.forEach(a::add);
        });
        try {
            write(p.taskId(), "policy.json", Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Optional<Policy> loadPolicy(String taskId) {
        Optional<String> text = read(taskId, "policy.json");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            JsonNode n = Json.MAPPER.readTree(text.get());
            List<String> profiles = new ArrayList<>();
            n.path("profiles").forEach(x -> profiles.add(x.asText()));
            List<Integer> ports = new ArrayList<>();
            n.path("hostPorts").forEach(x -> ports.add(x.asInt()));
            List<Target> allow = new ArrayList<>();
            n.path("allow").forEach(x -> allow.add(Targets.parse("allow", x.asText())));
            List<Target> deny = new ArrayList<>();
            n.path("deny").forEach(x -> deny.add(Targets.parse("deny", x.asText())));
            List<Target> relayed = new ArrayList<>();
            n.path("relayed").forEach(x -> relayed.add(Targets.parse("relayed", x.asText())));
            List<PortTarget> allowPorts = new ArrayList<>();
            n.path("allowPorts").forEach(x -> allowPorts.add(PortTarget.parse("allowPorts", x.asText())));
            // absent in a policy written before profile ports: its profile names keep every port, as they had
            java.util.Map<String, List<Integer>> domainPorts = new java.util.TreeMap<>();
            n.path("domainPorts").fields().forEachRemaining(e -> {
                String d = Targets.parse("domainPorts", e.getKey()).canonical();
                List<Integer> ps = new ArrayList<>();
                e.getValue().forEach(x -> {
                    int port = x.asInt();
                    if (port < 1 || port > 65535) {
                        throw new IllegalArgumentException("domainPorts." + d + ": port " + x);
                    }
                    ps.add(port);
                });
                domainPorts.put(d, ps);
            });
            String host = n.path("hostAddress").asText("");
            return Optional.of(new Policy(n.path("taskId").asText(), n.path("containerName").asText(), profiles,
                    host.isEmpty() ? null : Targets.address("hostAddress", host), ports,
                    Targets.address("upstreamDns", n.path("upstreamDns").asText()), Mode.valueOf(n.path("mode").asText()),
                    allow, deny, relayed, allowPorts, domainPorts));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("corrupt " + dir(taskId).resolve("policy.json") + ": " + e.getMessage(), e);
        }
    }

    /** Every task id with a state directory. */
    public List<String> taskIds() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (var s = Files.list(root)) {
            return s.map(p -> p.getFileName().toString()).filter(Ids::isTaskId).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Deletes the task's directory; true if it existed. */
    public boolean delete(String taskId) {
        Path d = dir(taskId);
        if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            Files.walkFileTree(d, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
            return true;
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete " + d + ": " + e.getMessage(), e);
        }
    }
}
