package io.terok.runtime.project;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.ProjectInfo;
import io.terok.api.v1.ProjectSettings;
import io.terok.common.ServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Init's order, idempotence and undo, with fakes of gate, vault and the image build (the real ones: e2e). */
class ProjectSetupTest {
    @TempDir
    Path dir;

    final Set<String> gate = new HashSet<>();
    final Map<Long, String> keys = new HashMap<>();
    final Set<Long> taskKeys = new HashSet<>();
    final List<String> calls = new ArrayList<>();
    RuntimeException failBuild;
    RuntimeException failGate;

    final ProjectPeers peers = new ProjectPeers() {
        long next = 1;

        public boolean gateHas(String p) {
            return gate.contains(p);
        }

        public void gateCreate(String p, String url, boolean sync) {
            calls.add("gateCreate " + p + " sync=" + sync);
            if (failGate != null) {
                throw failGate;
            }
            gate.add(p);
        }

        public void gateSync(String p) {
            calls.add("gateSync " + p);
            throw ServiceException.unavailable("permission denied (publickey)");
        }

        public String gateDefaultBranch(String p) {
            return gate.contains(p) ? "main" : "";
        }

        public void gateDelete(String p) {
            calls.add("gateDelete " + p);
            gate.remove(p);
        }

        public void shieldAllow(String taskId, String target) {
            throw new AssertionError("project setup opens no firewall");
        }

        public void shieldAllowPort(String taskId, String address, int port) {
            throw new AssertionError("project setup opens no firewall");
        }

        public List<String> gatePinnedHostKeys(String p) {
            return List.of();
        }

        public int brokerPort() {
            return 9420;
        }

        public List<io.terok.api.v1.Commit> commits(String p, String b, String a) {
            return List.of();
        }

        public List<SshKey> sshKeys(String p) {
            return keys.entrySet().stream().filter(e -> e.getValue().equals(p))
                    .map(e -> key(e.getKey(), p, taskKeys.contains(e.getKey()))).toList();
        }

        public SshKey addSshKey(String p, boolean task) {
            long id = next++;
            keys.put(id, p);
            if (task) {
                taskKeys.add(id);
            }
            calls.add("addSshKey " + p + (task ? " task" : ""));
            return key(id, p, task);
        }

        SshKey key(long id, String p, boolean task) {
            return new SshKey(id, "SHA256:k" + id, "ssh-ed25519 AAAA terok-" + p + (task ? "-task" : ""), task);
        }

        public void removeSshKey(long id) {
            calls.add("removeSshKey " + id);
            keys.remove(id);
        }
    };

    final ProjectImages images = new ProjectImages() {
        public void check(ProjectSettings s) {
            if (s.getAgentsList().contains("nosuch")) {
                throw ServiceException.invalid("agents.include", "no agent 'nosuch' in the roster");
            }
        }

        public String plan(ProjectSettings s) {
            return "localhost/terok-l2-" + s.getName() + ":abc";
        }

        public boolean exists(String image) {
            return calls.contains("build");
        }

        public boolean removeProjectLayer(String image) {
            calls.add("rmi " + image);
            return calls.contains("build");
        }

        public String build(ProjectSettings s, Consumer<String> progress) {
            calls.add("build");
            if (failBuild != null) {
                throw failBuild;
            }
            progress.accept("L2 [  0.1 s] step 1/1");
            return plan(s);
        }
    };

    ProjectSetup setup() {
        return new ProjectSetup(new ProjectStore(dir.resolve("projects")), peers, images,
                new GitIdentity(dir.resolve("config.yaml"), k -> ""), "localhost/base:1", p -> p.equals("busy"));
    }

    static ProjectSettings req(String name, String url) {
        return ProjectSettings.newBuilder().setName(name).setUpstreamUrl(url).build();
    }

    @Test
    void initWritesTheFileCreatesTheMirrorBuildsAndIsIdempotent() throws Exception {
        List<String> progress = new ArrayList<>();
        ProjectInfo info = setup().init(req("demo", "file:///srv/demo"), progress::add);
        assertTrue(Files.isRegularFile(dir.resolve("projects/demo.yaml")));
        assertEquals(List.of("gateCreate demo sync=true", "build"), calls);
        assertEquals("localhost/base:1", info.getSettings().getBaseImage());
        assertEquals(List.of("all"), info.getSettings().getAgentsList());
        assertEquals("main", info.getSettings().getDefaultBranch());
        assertTrue(info.getImageBuilt());
        assertTrue(progress.contains("L2 [  0.1 s] step 1/1"));
        assertEquals("terok default", info.getGitIdentitySource());

        calls.clear();
        setup().init(req("demo", ""), l -> { });
        assertEquals(List.of("build"), calls, "a second init only checks (the build reuses its layers)");

        ServiceException e = assertThrows(ServiceException.class, () -> setup().init(req("demo", "file:///elsewhere"), l -> { }));
        assertTrue(e.getMessage().startsWith("upstream.url: project exists with 'file:///srv/demo'"), e.getMessage());
    }

    @Test
    void aFailedBuildUndoesWhatThisInitCreated() {
        failBuild = ServiceException.unavailable("podman is not there");
        assertThrows(ServiceException.class, () -> setup().init(req("demo", "git@example.com:o/r.git"), l -> { }));
        assertFalse(Files.exists(dir.resolve("projects/demo.yaml")));
        assertTrue(gate.isEmpty());
        assertTrue(keys.isEmpty());
        assertEquals(List.of("addSshKey demo", "gateCreate demo sync=false", "gateSync demo", "build", "gateDelete demo",
                "removeSshKey 1"), calls);
    }

    @Test
    void anUnreachableUpstreamLeavesNothing() {
        failGate = ServiceException.invalid("upstream.url", "the gate cannot mirror file:///nope: not a repository");
        ServiceException e = assertThrows(ServiceException.class, () -> setup().init(req("demo", "file:///nope"), l -> { }));
        assertTrue(e.getMessage().startsWith("upstream.url:"));
        assertFalse(Files.exists(dir.resolve("projects/demo.yaml")));
        assertFalse(calls.contains("build"));
    }

    @Test
    void badInputCreatesNothing() {
        assertTrue(assertThrows(ServiceException.class, () -> setup().init(req("Bad Name", "file:///r"), l -> { }))
                .getMessage().startsWith("name:"));
        assertTrue(assertThrows(ServiceException.class, () -> setup().init(req("demo", ""), l -> { }))
                .getMessage().startsWith("upstream.url:"));
        assertTrue(assertThrows(ServiceException.class, () -> setup().init(req("demo", "file:///r").toBuilder().addAgents("nosuch").build(), l -> { }))
                .getMessage().startsWith("agents.include:"));
        assertTrue(assertThrows(ServiceException.class, () -> setup().init(req("demo", "file:///r").toBuilder()
                .setSecurityMode(io.terok.api.v1.SecurityMode.SECURITY_MODE_ONLINE).build(), l -> { }))
                .getMessage().startsWith("security: online lets the task push to its upstream itself"));
        assertTrue(assertThrows(ServiceException.class, () -> setup().init(req("demo", "ssh://git@127.0.0.1:2222/r.git").toBuilder()
                .setSecurityMode(io.terok.api.v1.SecurityMode.SECURITY_MODE_ONLINE).build(), l -> { }))
                .getMessage().contains("never opens"));
        assertTrue(calls.isEmpty());
        assertFalse(Files.exists(dir.resolve("projects")));
    }

    @Test
    void anSshUpstreamGetsAKeyAndTheInitSaysHowToFinish() {
        ProjectInfo info = setup().init(req("demo", "git@example.com:o/r.git"), l -> { });
        assertEquals("ssh-ed25519 AAAA terok-demo", info.getSshPublicKey());
        assertTrue(info.getWarnings(0).contains("terok gate sync demo"), info.getWarningsList().toString());
    }

    /** Online with an ssh upstream: the gate's key and a second key for the tasks, both shown; gatekeeping has no task key. */
    @Test
    void anOnlineSshProjectGetsATaskKeyOfItsOwn() {
        ProjectInfo info = setup().init(req("demo", "git@example.com:o/r.git").toBuilder()
                .setSecurityMode(io.terok.api.v1.SecurityMode.SECURITY_MODE_ONLINE).build(), l -> { });
        assertEquals("ssh-ed25519 AAAA terok-demo", info.getSshPublicKey());
        assertEquals("ssh-ed25519 AAAA terok-demo-task", info.getTaskSshPublicKey());
        assertEquals(List.of("addSshKey demo", "addSshKey demo task"), calls.subList(0, 2));
        calls.clear();
        setup().init(req("demo", ""), l -> { });
        assertFalse(calls.stream().anyMatch(c -> c.startsWith("addSshKey")), "idempotent: " + calls);
        assertEquals(2, setup().delete("demo").stream().filter(r -> r.startsWith("ssh key")).count(), "both keys go with the project");
        assertEquals("", setup().init(req("gk", "git@example.com:o/r.git"), l -> { }).getTaskSshPublicKey());
    }

    @Test
    void deleteRemovesEverythingAndIsRefusedWhileTasksExist() {
        setup().init(req("demo", "git@example.com:o/r.git"), l -> { });
        List<String> removed = setup().delete("demo");
        assertEquals(4, removed.size(), removed.toString());
        assertTrue(removed.contains("image localhost/terok-l2-demo:abc"), removed.toString());
        assertTrue(gate.isEmpty() && keys.isEmpty());
        assertFalse(Files.exists(dir.resolve("projects/demo.yaml")));
        assertEquals(ServiceException.Kind.NOT_FOUND, assertThrows(ServiceException.class, () -> setup().delete("demo")).kind());
        assertEquals(ServiceException.Kind.PRECONDITION, assertThrows(ServiceException.class, () -> setup().delete("busy")).kind());
    }

    @Test
    void gitIdentityFallsBackToConfigYamlThenHostGit() throws Exception {
        Files.writeString(dir.resolve("config.yaml"), "git:\n  human_name: Conf Name\n");
        GitIdentity id = new GitIdentity(dir.resolve("config.yaml"), k -> k.equals("user.email") ? "host@example.com" : "");
        GitIdentity.Resolved r = id.resolve(req("demo", "file:///r"));
        assertEquals("Conf Name", r.name());
        assertEquals("host@example.com", r.email());
        assertEquals("name: config.yaml, email: host git config", r.source());
        assertEquals("project", id.resolve(req("demo", "file:///r").toBuilder().setGitName("P").setGitEmail("p@x.y").build()).source());
    }
}
