package io.terok.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.agents.build.BuildProgress;
import io.terok.agents.build.PodmanImageBuilder;
import io.terok.agents.image.LayerPlan;
import io.terok.agents.roster.Roster;
import io.terok.agents.stage.Stager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * {@link SystemdDeploymentTestBase} on Debian 13: systemd 257 and Debian 13's podman 5.4 with its own Quadlet, running
 * the shipped units UNCHANGED (no drop-ins). The container gets what every podman 5 host has, a pure cgroup v2
 * hierarchy: this machine's kernel mounts cgroups v1 with an empty v2 hierarchy beside them (hybrid), so systemd
 * starts on a cgroup2 mount of the container's own cgroup namespace (no controllers are attached: no resource limits,
 * bin/prepare-host.d/podman5.sh sets pids_limit = 0 for that). Then root runs {@code terok setup --system} with all
 * five units: five healthy system services, a filtered task, and {@code terok uninstall --system --purge} leaves
 * nothing behind.
 *
 * <p>The agent task: the real Claude Code, staged from the npm cache and built into a project image on the host (the
 * agents library's layered build, as `terok project init` builds it), loaded into tk's podman 5 storage; its provider
 * is the scripted model server (a jar from this checkout) on the systemd container's own loopback, which is the vault
 * broker's loopback too (the vault pod has the host's network). The container has no other network.
 */
class Podman5SystemdEndToEndTest extends SystemdDeploymentTestBase {
    /** The host's JDK runs bin/terok inside (the trixie root has no JRE; the services' images carry their own). */
    static final String JDK = "/usr/lib/jvm/java-17-openjdk-amd64";

    static final String AGENTS_BASE = "localhost/terok-agent-base:bookworm";
    static final String MODEL = "http://127.0.0.1:18080";
        String agentImage;

    @Override
    Path root() {
        return Path.of("/var/cache/terok-ci/debian-trixie-systemd-3");
    }

    @Override
    List<String> runOptions() {
        return List.of("-v", JDK + ":" + JDK + ":ro", "-v", "/etc/java-17-openjdk:/etc/java-17-openjdk:ro");
    }

    @Override
    List<String> init() {
        return List.of("sh", "-c", "umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec /sbin/init");
    }

    @Override
    List<String> commandEnv() {
        return List.of("TEROK_JAVA=" + JDK + "/bin/java");
    }

    /** The project image with Claude Code, built on the host and copied into tk's storage (after the base's boot). */
    @BeforeAll
    void agentImageAndModel() throws Exception {
        PodmanImageBuilder builder = new PodmanImageBuilder();
        LayerPlan plan = LayerPlan.create(builder.resolveBase(AGENTS_BASE, null), Roster.shipped().select(List.of("claude")),
                "deploy-podman5", null);
        Stager stager = new Stager(Path.of(System.getenv().getOrDefault("TEROK_AGENTS_STAGE", "/var/cache/terok-ci/agents-stage")));
        stager.stage(plan, p -> { });
        agentImage = builder.build(plan, stager.contextDir(), BuildProgress.NONE).image();
        loadImages(true, List.of(agentImage));
        // The scripted provider: one shell step (the agent's Bash tool commits and pushes to a new branch of the
        // gate), then its answer. It records every request in /tmp/model (headers included) for the checks below.
        String script = "- shell: |\n    cd /tmp/w && echo from-claude > agent.txt && git add agent.txt && git -c user.name=Agent"
                + " -c user.email=agent@example.invalid commit -q -m 'agent: add agent.txt' && git push -q origin HEAD:refs/heads/agent-work\n"
                + "- text: I added agent.txt and pushed it to agent-work.";
        asTkWithInput(script, "sh", "-c", "cat > /home/tk/model.yaml").ok();
        String jar = Files.list(Terok.REPO.resolve("scripted-model/target")).map(Path::toString)
                .filter(f -> f.matches(".*/terok-scripted-model-[^/]*[0-9T](-SNAPSHOT)?\\.jar")).findFirst()
                .orElseThrow(() -> new AssertionError("scripted-model/target has no jar: build with -am"));
        Terok.podman("exec", "-d", "--user", "tk", name, JDK + "/bin/java", "-jar", jar, "--port", "18080", "--script",
                "/home/tk/model.yaml", "--dump", "/tmp/model").ok();
    }

    @AfterAll
    void removeTheProjectImage() {
        if (agentImage != null) {
            Terok.podman("rmi", agentImage);
        }
    }

    /** Before the services start: the broker's anthropic route goes to the scripted model on this loopback. */
    @Override
    void afterUserUnitsGenerated() {
        // Nested under the `vault:` that setup wrote (a dotted key would be one YAML key, not the property).
        asTk("sed", "-i", "s|^  vault:$|  vault:\\n    providers:\\n      anthropic:\\n        upstream: " + MODEL + "|",
                "/home/tk/.config/terok/config.yaml").ok();
        String config = asTk("cat", "/home/tk/.config/terok/config.yaml").ok().out();
        assertTrue(config.contains("      anthropic:\n        upstream: " + MODEL), config);
    }

    /** The broker forwarded the phantom-token request to the scripted model (an answer of its own, not the broker's 401). */
    @Override
    void assertBrokerAnswered(String status) {
        assertTrue(status.matches("[2-4][0-9][0-9]") && !status.equals("401") && !status.equals("403"), status);
    }

    @Test
    @Order(3)
    void theRealClaudeCodeCommitsThroughTheGateWithAPhantomToken() {
        asTk(TEROK, "run", "-d", "--name", "claude", "--project", "proj", "--provider", "anthropic", agentImage, "sleep", "900").ok();
        // Claude Code headless, as the agent task runner starts it (the roster's environment and arguments).
        // (podman exec into the task, same environment: `terok exec` gives up after 60 s, which a retrying agent can outlast)
        Terok.Result run = asTk("podman", "exec", "claude", "sh", "-c", "export CLAUDE_CONFIG_DIR=$HOME/.claude DISABLE_TELEMETRY=1"
                + " DISABLE_ERROR_REPORTING=1 DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1;"
                + " git clone -q \"$TEROK_GATE_URL\" /tmp/w && cd /tmp/w && claude -p 'Add agent.txt, commit and push it.' --dangerously-skip-permissions");
        assertTrue(run.exitCode() == 0 && run.out().contains("I added agent.txt and pushed it to agent-work."), run.toString());
        // The commit is in the gate, on its new branch, and not upstream.
        Terok.Result gate = asTk("sh", "-c", "podman unshare git -c safe.directory=* --git-dir \"$(podman volume inspect --format '{{.Mountpoint}}' terok-gate-data)\"/proj.git"
                + " log -1 --format=%s agent-work");
        assertEquals("agent: add agent.txt", gate.ok().out().strip(), gate.toString());
        assertEquals("", asTk("git", "--git-dir", "/home/tk/upstream.git", "for-each-ref", "refs/heads/agent-work").ok().out().strip());
        // The provider saw the real key (the broker swapped it in); the task only ever held a phantom token.
        assertEquals("1", asTk("sh", "-c", "grep -rlF -e " + REAL_KEY + " /tmp/model | head -n1 | wc -l").ok().out().strip(),
                "the scripted model got the real key");
        assertEquals("", asTk(TEROK, "exec", "claude", "sh", "-c", "env | grep -F " + REAL_KEY + "; true").ok().out().strip());
        asTk(TEROK, "rm", "-f", "claude").ok();
    }

    @Test
    @Order(0)
    void theContainerIsAPodman5HostOnCgroupV2() {
        String info = asTk("podman", "info", "--format", "{{.Version.Version}} {{.Host.CgroupsVersion}} {{.Host.RootlessNetworkCmd}}").ok().out().strip();
        assertTrue(info.matches("5\\.\\d+\\.\\d+ v2 pasta"), info);
    }

    @Test
    @Order(7)
    void asRootSetupSystemRunsAllFiveServicesAFilteredTaskAndUninstallPurgeLeavesNothing() throws Exception {
        List<String> images = new ArrayList<>(List.of("localhost/terok-agent:latest", Terok.BASE_IMAGE));
        SERVICES.forEach(s -> images.add("localhost/terok-" + s + ":latest"));
        loadImages(false, images);
        Terok.Result setup = asRoot(TEROK, "setup", "--system", "--no-images").ok();
        assertTrue(setup.out().contains("vault passphrase: generated"), setup.out());
        String unit = asRoot("cat", "/etc/containers/systemd/terok-vault.container").ok().out();
        assertTrue(unit.contains("LoadCredentialEncrypted=terok-vault-passphrase:" + CRED), unit);
        // gate's file:// upstream, visible to the gate container through a Quadlet drop-in.
        asRoot("sh", "-c", "git init -q --bare -b main /root/upstream.git && git init -q -b main /root/w && cd /root/w && echo hi > README"
                + " && git add README && git -c user.name=t -c user.email=t@example.invalid commit -qm first && git push -q /root/upstream.git main"
                + " && mkdir -p /etc/containers/systemd/terok-gate.container.d && printf '[Container]\\nVolume=/root/upstream.git:/root/upstream.git:ro\\n'"
                + " > /etc/containers/systemd/terok-gate.container.d/upstream.conf && systemctl daemon-reload").ok();
        // systemd mounts a unit's credentials in a helper's mount namespace and moves them to /run/credentials/<unit>;
        // on a host / is shared (systemd makes it so at boot), in a container podman's mounts are private.
        asRoot("mount", "--make-rshared", "/").ok();
        asRoot("systemctl", "start", "terok.target").ok();
        awaitHealthy(true, asRoot("systemctl", "list-units", "terok*", "--all", "--no-pager").out());
        Terok.Result vault = asRoot(TEROK, "vault", "status");
        assertTrue(vault.exitCode() == 0 && vault.out().contains("unlocked (systemd-creds)"), vault.toString());

        asRoot("sh", "-c", "printf '%s\\n' sk-deploy-system-real-key | " + TEROK + " vault add anthropic").ok();
        asRoot(TEROK, "gate", "create", "proj", "file:///root/upstream.git").ok();
        asRoot(TEROK, "run", "-d", "--name", "sys", "--project", "proj", "--provider", "anthropic",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        Terok.Result status = asRoot(TEROK, "shield", "status", "sys").ok();
        assertTrue(status.out().contains("state:    up"), status.out());
        Terok.Result clone = asRoot(TEROK, "exec", "sys", "sh", "-c", "git clone -q \"$TEROK_GATE_URL\" /tmp/w && cat /tmp/w/README");
        assertEquals("hi", clone.ok().out().strip(), clone.toString());
        Terok.Result token = asRoot(TEROK, "exec", "sys", "sh", "-c", "case $ANTHROPIC_API_KEY in sk-deploy-system-real-key) echo REAL;; "
                + "'') echo NONE;; *) echo PHANTOM;; esac");
        assertEquals("PHANTOM", token.ok().out().strip(), token.toString());
        Terok.Result refused = asRoot(TEROK, "exec", "sys", "sh", "-c", "curl -sS -m 5 http://198.51.100.7/ >/dev/null 2>&1 && echo OPEN || echo REFUSED");
        assertEquals("REFUSED", refused.out().strip(), refused.toString());

        asRoot(TEROK, "rm", "-f", "sys").ok();
        // Stopped first, and waited for: uninstall removes the images right after its own stop, and a container still
        // being removed then holds its image (seen once: "container ... using image"; see docs/reliability.md).
        asRoot("systemctl", "stop", "terok.target").ok();
        String left = "x";
        for (int i = 0; i < 60 && !left.isEmpty(); i++) {
            Thread.sleep(1000);
            left = asRoot("podman", "ps", "-a", "--format", "{{.Names}} {{.Status}}").out().strip();
        }
        assertEquals("", left, "every container gone after the stop");
        Terok.Result purge = asRoot(TEROK, "uninstall", "--system", "--purge").ok();
        assertTrue(purge.out().contains("vault passphrase: removed (" + CRED + ")"), purge.out());
        asRoot("rm", "-r", "/etc/containers/systemd/terok-gate.container.d").ok();   // the test's own drop-in
        // Nothing left: no unit (installed or generated), no container, pod or volume, no hooks, no credential.
        assertEquals("", asRoot("sh", "-c", "ls /etc/containers/systemd/terok* /etc/systemd/system/terok* /run/systemd/generator/terok* "
                + "/var/lib/terok/shield-hooks /etc/containers/containers.conf.d/terok-shield.conf " + CRED + " 2>/dev/null; true").out().strip());
        assertEquals("", asRoot("systemctl", "list-units", "terok*", "--all", "--no-legend", "--plain").out().strip()
                .lines().filter(l -> !l.contains("not-found")).reduce("", (x, y) -> x + y + "\n").strip());
        assertEquals("", asRoot("podman", "ps", "-a", "--format", "{{.Names}}").ok().out().strip());
        assertEquals("", asRoot("podman", "pod", "ps", "--format", "{{.Name}}").ok().out().strip());
        assertEquals("", asRoot("podman", "volume", "ls", "--format", "{{.Name}}").ok().out().strip());
    }
}
