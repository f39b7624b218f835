package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.agents.AgentImages;
import io.terok.agents.build.PodmanImageBuilder;
import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Invocation;
import io.terok.agents.roster.Roster;
import io.terok.agents.roster.TaskConfig;
import io.terok.agents.stage.Stager;
import io.terok.scriptedmodel.RecordedRequest;
import io.terok.scriptedmodel.Script;
import io.terok.scriptedmodel.ScriptedModelServer;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivateInstallation;
import io.terok.testsupport.PrivatePodman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Every shipped agent, built into one agent layer by the real image build, runs headless in a real task through the
 * real services: {@code terok run --provider P} (filtered by the shield, tokens from the vault), the agent's
 * configuration rendered by {@link Invocation#render} and seeded per task by {@link TaskConfig#seed}, the agent's
 * headless command run as the task's user with {@code terok exec}. The provider is the scripted model on this
 * host's loopback behind the vault's broker; it makes the agent run one shell command, then answers.
 *
 * <p>Each agent: its final answer comes back; the command really ran in the task; the provider saw the real key
 * in the provider's own auth header and never the phantom; the container never held the real key (its
 * environment, the agent's environment as its shell saw it, and every file under the home, the configuration
 * directories, /etc, /tmp and the workspace). One more: what one task writes into its agent configuration is not
 * in a second task of the same project.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentHeadlessEndToEndTest {
    static final String BASE = System.getenv().getOrDefault("TEROK_AGENTS_BASE", "localhost/terok-agent-base:bookworm");
    static final Path STAGE = Path.of(System.getenv().getOrDefault("TEROK_AGENTS_STAGE", "/var/cache/terok-ci/agents-stage"));
    static final String HOME = "/home/dev";
    static final String WORKSPACE = "/workspace";
    static final String PROMPT = "Write the proof file, then tell me what you did.";
    /** The agent's shell also records its own environment, to check the agent held only the phantom. */
    static final String COMMAND = "echo terok-ok > /workspace/proof.txt && env > /tmp/agent-env";
    static final String ANSWER = "Proof written: terok-ok is in /workspace/proof.txt.";
    static final Map<String, String> REAL_KEY = Map.of(
            "anthropic", "sk-ant-headless-REAL-7f3a9c0d1e",
            "openai", "sk-proj-headless-REAL-2b8e1d4f6a",
            "google", "AIzaSy-headless-REAL-5c6d0e8b9f");
    /** What the vault's routes give a task (RouteTable) and put on the upstream request. */
    static final Map<String, String> TOKEN_VAR = Map.of(
            "anthropic", "ANTHROPIC_API_KEY", "openai", "OPENAI_API_KEY", "google", "GEMINI_API_KEY");
    static final Map<String, String> BASE_VAR = Map.of(
            "anthropic", "ANTHROPIC_BASE_URL", "openai", "OPENAI_BASE_URL", "google", "GOOGLE_GEMINI_BASE_URL");
    static final Map<String, String> AUTH_HEADER = Map.of(
            "anthropic", "x-api-key", "openai", "authorization", "google", "x-goog-api-key");
    static final Map<String, String> AUTH_PREFIX = Map.of("anthropic", "", "openai", "Bearer ", "google", "");

    static Terok terok;
    static PrivateInstallation installation;
    static PrivatePodman podman;
    static FakeInternet internet;
    static ScriptedModelServer model;
    static Roster roster;
    static String image;
    static String brokerUrl;
    static Path tasks;
    static Path template;

    @BeforeAll
    static void up() throws Exception {
        Cmd.require(List.of("nft", "nsenter", "ip", "dnsmasq", "podman", "npm", "grep"));
        roster = Roster.shipped();
        AgentImages images = new AgentImages(roster, new PodmanImageBuilder(), new Stager(STAGE));
        long start = System.nanoTime();
        AgentImages.Result built = images.build(new AgentImages.Request(BASE, null, List.of("all"), "headless-e2e", null),
                line -> { });
        image = built.record().image();
        System.out.printf("agent image %s in %.1f s: %s%n", image, (System.nanoTime() - start) / 1e9,
                built.record().summary());

        model = ScriptedModelServer.start(Script.shellThenAnswer(COMMAND, ANSWER));
        // The task's resolver forwards to the fake internet's: an agent looking up its vendor's hosts gets no answer.
        installation = Terok.install("headless", FakeInternet.spec("thl").addresses(2, 2));
        terok = new Terok(installation);
        internet = installation.internet();
        podman = installation.podman();
        brokerUrl = "http://10.0.2.2:" + terok.env.get("TEROK_VAULT_BROKER_PORT");
        installation.configWithVault("e2e-headless-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: " + model.baseUrl(),
                "      openai:",
                "        upstream: " + model.baseUrl(),
                "      google:",
                "        upstream: " + model.baseUrl());
        installation.start();
        for (Map.Entry<String, String> key : REAL_KEY.entrySet()) {
            terok.runWithInput(key.getValue(), "vault", "add", key.getKey()).ok();
        }
        // The project's template for its tasks' agent configuration (outside terok's own directories, which
        // cannot be mounted into a task).
        tasks = Path.of(terok.home + "-tasks");
        Terok.exec(List.of("rm", "-rf", tasks.toString()), Map.of(), 30);
        template = tasks.resolve("template");
        Files.createDirectories(template.resolve(".claude"));
        Files.writeString(template.resolve(".claude/CLAUDE.md"), "Project notes from the template.\n");
    }

    @AfterAll
    static void down() {
        if (installation != null) {
            Cmd.run("podman", "--url=unix://" + podman.socket, "rm", "-f", "-t", "0", "hl-claude", "hl-claude-again",
                    "hl-codex", "hl-copilot", "hl-opencode", "hl-gemini");
            installation.close();
        }
        if (tasks != null) {
            Terok.exec(List.of("rm", "-rf", tasks.toString()), Map.of(), 60);
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    @Order(1)
    void claudeCodeThroughAnthropic() throws Exception {
        Headless run = Headless.start("hl-claude", "claude", "anthropic", null);
        run.assertBrokeredAndContained();
        List<String> config = run.ls(HOME + "/.claude");
        assertTrue(config.contains("CLAUDE.md"), "seeded from the project's template: " + config);
        assertTrue(config.contains("projects"), "the agent keeps its session in its per-task directory: " + config);
    }

    /** Runs after Claude Code wrote its session into the first task's ~/.claude. */
    @Test
    @Order(2)
    void aSecondTaskOfTheProjectSeesNothingTheFirstWroteIntoItsAgentConfig() throws Exception {
        terok.run("exec", "hl-claude", "sh", "-c", "echo first-task > " + HOME + "/.claude/notes.txt").ok();
        Headless second = Headless.launch("hl-claude-again", "claude", "anthropic", null);

        List<String> config = second.ls(HOME + "/.claude");
        assertTrue(config.contains("CLAUDE.md"), "the template seeds every task: " + config);
        assertFalse(config.contains("notes.txt"), "the first task's file: " + config);
        assertFalse(config.contains("projects"), "the first task's sessions: " + config);
        assertNotEquals(0, terok.run("exec", "hl-claude-again", "test", "-e", HOME + "/.claude/notes.txt").exitCode());
        try (var files = Files.list(template.resolve(".claude"))) {
            assertEquals(List.of("CLAUDE.md"), files.map(p -> p.getFileName().toString()).toList(),
                    "the template is untouched");
        }
        terok.run("rm", "-f", "hl-claude-again").ok();
        terok.run("rm", "-f", "hl-claude").ok();
    }

    @Test
    @Order(3)
    void codexThroughOpenAiResponses() throws Exception {
        // Codex's default model runs in its code mode (a JavaScript exec tool around exec_command).
        Headless run = Headless.start("hl-codex", "codex", "openai", null);
        run.assertBrokeredAndContained();
        assertTrue(run.requests.stream().allMatch(r -> r.path().equals("/v1/responses")), "Responses only");
        terok.run("rm", "-f", "hl-codex").ok();
    }

    @Test
    @Order(4)
    void copilotThroughOpenAiResponsesInByokMode() throws Exception {
        Headless run = Headless.start("hl-copilot", "copilot", "openai", "gpt-5");
        run.assertBrokeredAndContained();
        assertTrue(run.requests.stream().anyMatch(r -> r.path().equals("/v1/responses")), "Responses");
        terok.run("rm", "-f", "hl-copilot").ok();
    }

    @Test
    @Order(5)
    void openCodeThroughAnthropic() throws Exception {
        Headless run = Headless.start("hl-opencode", "opencode", "anthropic", "claude-sonnet-4-5");
        run.assertBrokeredAndContained();
        assertTrue(run.requests.stream().anyMatch(r -> r.path().equals("/v1/messages")), "Anthropic Messages");
        terok.run("rm", "-f", "hl-opencode").ok();
    }

    @Test
    @Order(6)
    void geminiCliThroughGoogle() throws Exception {
        Headless run = Headless.start("hl-gemini", "gemini", "google", null);
        run.assertBrokeredAndContained();
        assertTrue(run.requests.stream().anyMatch(r -> r.path().endsWith(":streamGenerateContent")),
                "Gemini streaming: " + run.requests.stream().map(RecordedRequest::path).toList());
        terok.run("rm", "-f", "hl-gemini").ok();
    }

    /** One agent in one task: launched, configured, run, and what the scripted provider saw meanwhile. */
    static final class Headless {
        final String task;
        final String provider;
        final Path taskDir;
        String phantom;
        Terok.Result result;
        List<RecordedRequest> requests;

        private Headless(String task, String provider, Path taskDir) {
            this.task = task;
            this.provider = provider;
            this.taskDir = taskDir;
        }

        /** Launches the task with the agent's configuration seeded, then runs the agent headless with the prompt. */
        static Headless start(String task, String agentId, String provider, String modelName) throws Exception {
            Headless h = launch(task, agentId, provider, modelName);
            h.runAgent(roster.get(agentId), modelName);
            return h;
        }

        static Headless launch(String task, String agentId, String provider, String modelName) throws Exception {
            AgentDefinition agent = roster.get(agentId);
            Headless h = new Headless(task, provider, tasks.resolve(task));
            // The files are written before the container starts, so before its phantom is minted: they must not
            // need it (runAgent checks that they come out the same with it).
            Invocation.Launch planned = Invocation.render(agent, Invocation.Mode.HEADLESS,
                    context(provider, modelName, "not-yet-minted"));
            List<TaskConfig.Mount> mounts = TaskConfig.seed(agent, planned, HOME, template, h.taskDir);
            List<String> run = new ArrayList<>(List.of("run", "-d", "--name", task, "--provider", provider,
                    "--no-clearance", "-w", WORKSPACE));
            for (TaskConfig.Mount m : mounts) {
                run.addAll(List.of("-v", m.host() + ":" + m.container() + ":" + (m.readOnly() ? "ro" : "rw")));
            }
            run.add(image);
            run.addAll(List.of("sleep", "900"));
            terok.run(run.toArray(String[]::new)).ok();
            h.giveConfigToTaskUser();
            List<String> wiring = terok.run("exec", task, "printenv", TOKEN_VAR.get(provider), BASE_VAR.get(provider))
                    .ok().out().lines().toList();
            h.phantom = wiring.get(0);
            assertTrue(h.phantom.startsWith("terok-p-"), h.phantom);
            assertEquals(brokerUrl + (provider.equals("openai") ? "/v1" : ""), wiring.get(1),
                    "the broker's address as the task reaches it, as the agent's configuration was rendered with");
            h.planned = planned;
            return h;
        }

        private Invocation.Launch planned;

        private static Invocation.Context context(String provider, String modelName, String token) {
            return new Invocation.Context(provider, modelName, PROMPT, brokerUrl, token, HOME, WORKSPACE);
        }

        /**
         * The seeded directories belong to root on the host; the task's uid 1000 is another host uid in its user
         * namespace (rootful podman, userns=auto): hand them over as podman's {@code :U} volume option would.
         */
        void giveConfigToTaskUser() {
            String pid = Cmd.run("podman", "--url=unix://" + podman.socket, "inspect", "--format", "{{.State.Pid}}", task)
                    .out().strip();
            String status;
            try {
                status = Files.readString(Path.of("/proc", pid, "status"));
            } catch (java.io.IOException e) {
                throw new AssertionError("no process " + pid + " for " + task, e);
            }
            String uid = field(status, "Uid:");
            String gid = field(status, "Gid:");
            assertNotEquals("0", uid, "the task runs as an unprivileged host uid");
            Terok.exec(List.of("chown", "-R", uid + ":" + gid, taskDir.toString()), Map.of(), 60).ok();
        }

        private static String field(String status, String name) {
            return status.lines().filter(l -> l.startsWith(name)).findFirst().orElseThrow().split("\\s+")[1];
        }

        void runAgent(AgentDefinition agent, String modelName) {
            Invocation.Launch launch = Invocation.render(agent, Invocation.Mode.HEADLESS,
                    context(provider, modelName, phantom));
            assertEquals(planned.files(), launch.files(), "configuration files hold no token");
            String tokenEnv = agent.provider(provider).orElseThrow().tokenEnv();
            List<String> exec = new ArrayList<>(List.of("exec", "--timeout", "300", "-w", WORKSPACE, "-e", "HOME=" + HOME));
            Map<String, String> secret = new HashMap<>();
            launch.env().forEach((name, value) -> {
                if (!name.equals(tokenEnv)) {
                    exec.addAll(List.of("-e", name + "=" + value));
                } else if (!name.equals(TOKEN_VAR.get(provider))) {
                    // The agent wants the phantom under another name (Copilot): passed by environment, never argv.
                    exec.addAll(List.of("-e", name));
                    secret.put(name, value);
                }
            });
            exec.add(task);
            exec.addAll(launch.argv());
            int before = model.requests().size();
            long start = System.nanoTime();
            result = Terok.exec(terok.commandLine(exec.toArray(String[]::new)), secret, 330);
            System.out.printf("%s: %s headless in %.1f s%n", task, agent.id(), (System.nanoTime() - start) / 1e9);
            List<RecordedRequest> all = model.requests();
            requests = all.subList(before, all.size());
        }

        List<String> ls(String dir) {
            return terok.run("exec", task, "ls", "-A", dir).ok().out().lines().toList();
        }

        void assertBrokeredAndContained() throws Exception {
            String real = REAL_KEY.get(provider);
            assertEquals(0, result.exitCode(), "agent: " + result.out() + "\n" + result.err());
            assertTrue(result.out().contains(ANSWER), "the final answer came back: " + result.out());
            assertEquals("terok-ok", terok.run("exec", task, "cat", WORKSPACE + "/proof.txt").ok().out().strip(),
                    "the tool call ran in the task");
            assertEquals(List.of(), model.failures(), "every request was one the script could answer");

            assertFalse(requests.isEmpty());
            for (RecordedRequest r : requests) {
                assertEquals(AUTH_PREFIX.get(provider) + real, r.header(AUTH_HEADER.get(provider)),
                        "the provider saw the real key: " + r.method() + " " + r.path());
                assertFalse(r.headers().toString().contains(phantom) || r.body().contains(phantom),
                        "the phantom never reached the provider: " + r.path());
            }

            String containerEnv = terok.run("exec", task, "env").ok().out();
            assertTrue(containerEnv.contains(phantom), "the task holds the phantom");
            // (Copilot scrubs its provider key from its shell's environment; the others pass the phantom on.)
            String agentEnv = terok.run("exec", task, "cat", "/tmp/agent-env").ok().out();
            assertTrue(agentEnv.contains("PATH="), "the agent's shell recorded its environment: " + agentEnv);
            assertFalse(containerEnv.contains(real) || agentEnv.contains(real), "no real key in an environment");
            assertNoFileHolds(real);
        }

        /** Searches the container's files from the host, so the key never appears inside the task. */
        void assertNoFileHolds(String real) {
            String root = Cmd.ok("podman", "mount", task).strip();
            try {
                List<String> grep = new ArrayList<>(List.of("grep", "-rlsF", "--binary-files=text", "-e", real));
                for (String dir : List.of(HOME, "/etc", "/tmp", WORKSPACE)) {
                    grep.add(root + dir);
                }
                grep.add(taskDir.toString());
                Terok.Result found = Terok.exec(grep, Map.of(), 120);
                assertEquals(1, found.exitCode(), "files holding the real key: " + found.out() + found.err());
            } finally {
                Cmd.run("podman", "umount", task);
            }
        }
    }
}
