package io.terok.runtime.spec;

import io.terok.common.PrivateFiles;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * terok's own seccomp profile for tasks: podman's default profile minus the kernel keyring ({@code keyctl},
 * {@code add_key}, {@code request_key}), new namespaces ({@code unshare}, {@code clone} with a CLONE_NEW* flag),
 * mounting ({@code mount} and the new mount API), {@code bpf}, {@code userfaultfd} and {@code perf_event_open}.
 *
 * <p>The base is a copy of podman's default ({@code /usr/share/containers/seccomp.json} of containers-common
 * 0.50.1, shipped unchanged as the resource {@value #RESOURCE}); the removals are applied here, in
 * code, when a task is launched, so the shipped copy stays diffable against upstream and a launch can add back
 * exactly the syscalls its run spec names (from {@link #ADD_BACK}, nothing else). {@code clone3} always answers
 * ENOSYS unless {@code clone} is added back: seccomp cannot look into clone3's flag structure, and ENOSYS makes
 * libc fall back to {@code clone}, whose flags argument the filter does check (a clone with a CLONE_NEW* flag
 * matches no rule and gets the profile's default answer, ENOSYS). The other removed syscalls answer EPERM.
 */
public final class SeccompProfile {
    /** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
    static final long CLONE_NAMESPACE_FLAGS = 0x7E020000L;
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;

    /**
     * The syscalls terok removes, by the name a run spec uses to add them back: each name stands for the syscalls
     * listed with it ("clone" lifts the namespace-flag check on clone and lets clone3 through).
     */
    public static final Map<String, List<String>> ADD_BACK = addBack();

    private static Map<String, List<String>> addBack() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("keyctl", List.of("keyctl"));
        m.put("add_key", List.of("add_key"));
        m.put("request_key", List.of("request_key"));
        m.put("unshare", List.of("unshare"));
        m.put("clone", List.of("clone", "clone3"));
        m.put("mount", List.of("mount", "fsopen", "fsconfig", "fsmount", "move_mount", "open_tree", "mount_setattr"));
        m.put("bpf", List.of("bpf"));
        m.put("userfaultfd", List.of("userfaultfd"));
        m.put("perf_event_open", List.of("perf_event_open"));
        return java.util.Collections.unmodifiableMap(m);
    }

    static final String RESOURCE = "/io/terok/runtime/seccomp/podman-default.json";
    private static final String BASE = load();

    private SeccompProfile() {
    }

    private static String load() {
        try (InputStream in = SeccompProfile.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the runtime service's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The profile with the named groups of {@link #ADD_BACK} allowed again (names already validated). */
    public static JsonObject build(Collection<String> addBack) {
        Set<String> allowedAgain = new TreeSet<>();
        Set<String> denied = new TreeSet<>();
        ADD_BACK.forEach((name, calls) -> (addBack.contains(name) ? allowedAgain : denied).addAll(calls));
        boolean cloneRestricted = !addBack.contains("clone");
        denied.remove("clone");
        denied.remove("clone3");

        JsonObject profile = new JsonObject(BASE);
        JsonArray rules = new JsonArray();
        for (Object o : profile.getJsonArray("syscalls")) {
            JsonObject rule = (JsonObject) o;
            JsonArray names = new JsonArray();
            for (Object n : rule.getJsonArray("names")) {
                String name = (String) n;
                boolean ours = allowedAgain.contains(name) || denied.contains(name)
                        || (cloneRestricted && (name.equals("clone") || name.equals("clone3")));
                if (!ours) {
                    names.add(name);
                }
            }
            if (!names.isEmpty()) {
                rules.add(rule.copy().put("names", names));
            }
        }
        if (!allowedAgain.isEmpty()) {
            rules.add(new JsonObject().put("names", new JsonArray(List.copyOf(allowedAgain))).put("action", "SCMP_ACT_ALLOW")
                    .put("comment", "added back by the task's run spec"));
        }
        if (!denied.isEmpty()) {
            rules.add(new JsonObject().put("names", new JsonArray(List.copyOf(denied))).put("action", "SCMP_ACT_ERRNO")
                    .put("errnoRet", EPERM).put("comment", "terok: kernel keyring, namespaces, mounts, bpf, userfaultfd, perf"));
        }
        if (cloneRestricted) {
            rules.add(cloneWithoutNamespaces(0).put("excludes", new JsonObject().put("arches", new JsonArray().add("s390").add("s390x"))));
            // s390 swaps clone's first two arguments.
            rules.add(cloneWithoutNamespaces(1).put("includes", new JsonObject().put("arches", new JsonArray().add("s390").add("s390x"))));
            rules.add(new JsonObject().put("names", new JsonArray().add("clone3")).put("action", "SCMP_ACT_ERRNO")
                    .put("errnoRet", ENOSYS).put("comment", "terok: clone3's flags cannot be checked; libc falls back to clone"));
        }
        return profile.put("syscalls", rules);
    }

    private static JsonObject cloneWithoutNamespaces(int flagsArgument) {
        return new JsonObject().put("names", new JsonArray().add("clone")).put("action", "SCMP_ACT_ALLOW")
                .put("args", new JsonArray().add(new JsonObject().put("index", flagsArgument).put("value", CLONE_NAMESPACE_FLAGS)
                        .put("valueTwo", 0).put("op", "SCMP_CMP_MASKED_EQ")))
                .put("comment", "terok: clone without CLONE_NEW* flags");
    }

    /**
     * Writes the profile for {@code addBack} under {@code dir} (named by its content, so concurrent launches
     * never see a half-written file) and returns its path for podman to read.
     */
    public static Path write(Path dir, Collection<String> addBack) {
        byte[] json = build(addBack).encodePrettily().getBytes(StandardCharsets.UTF_8);
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path file = PrivateFiles.directory(dir).resolve("terok-seccomp-" + hash + ".json");
        PrivateFiles.write(file, json);
        return file;
    }
}
