package io.terok.cli.task;

import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.LogsRequest;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.ResourceLimits;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.ServiceOptOut;
import io.terok.api.v1.Task;
import io.terok.api.v1.WaitRequest;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Sizes;
import io.terok.cli.core.Verb;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", sortOptions = false,
        description = {"Launch a task: a hardened rootless container whose egress goes through shield, with phantom "
                + "tokens from vault, a gate repository and clearance prompts. Follows its output and exits with its "
                + "exit code, unless --detach.",
            "Everything after IMAGE is the container's command, passed on untouched."})
public final class RunCommand extends Verb {
    @Option(names = "--name", description = "Task name (default: generated).")
    String name;
    @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]", description = "Environment variable; a bare KEY takes its value from here.")
    List<String> env = new ArrayList<>();
    @Option(names = {"-v", "--volume"}, paramLabel = "HOST:CTR[:OPTS]", description = "Bind mount; OPTS: ro|rw and z|Z, comma-separated.")
    List<String> volumes = new ArrayList<>();
    @Option(names = {"-w", "--workdir"}, description = "Working directory inside the container.")
    String workdir;
    @Option(names = "--hostname")
    String hostname;
    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", description = "Memory limit, e.g. 512m or 2g.")
    String memory;
    @Option(names = "--cpus", paramLabel = "N", description = "CPU limit, e.g. 1.5.")
    String cpus;
    @Option(names = "--pids-limit", paramLabel = "N")
    String pidsLimit;
    @Option(names = "--gpus", paramLabel = "CDI", description = "CDI device (repeatable), e.g. nvidia.com/gpu=all; 'all' means that one.")
    List<String> gpus = new ArrayList<>();
    @Option(names = "--cap-add", paramLabel = "CAP", description = "Grant a capability from the service's allowlist (repeatable).")
    List<String> capAdd = new ArrayList<>();

    @Option(names = "--seccomp-allow", paramLabel = "SYSCALL", description = "Add back a syscall terok's seccomp profile "
            + "removes (repeatable): keyctl, add_key, request_key, unshare, clone, mount, bpf, userfaultfd, perf_event_open.")
    List<String> seccompAllow = new ArrayList<>();
    @Option(names = "--annotation", paramLabel = "KEY=VALUE", description = "Annotation from the service's allowlist (repeatable).")
    List<String> annotations = new ArrayList<>();
    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE")
    List<String> labels = new ArrayList<>();
    @Option(names = "--read-only", description = "Read-only root filesystem (tmpfs on /tmp, /var/tmp and the home directory).")
    boolean readOnly;
    @Option(names = "--network", paramLabel = "MODE", defaultValue = "filtered", description = "filtered (default) or none.")
    String network;
    @Option(names = "--project", description = "Project the task works on (gate repository, SSH keys).")
    String project;
    @Option(names = "--provider", description = "Vault provider whose phantom token is injected (repeatable).")
    List<String> providers = new ArrayList<>();
    @Option(names = "--profile", description = "Shield profile on top of the base policy (repeatable).")
    List<String> profiles = new ArrayList<>();
    @Option(names = {"-t", "--tty"}, description = "Allocate a TTY and attach this terminal to it "
            + "(interactive agents): keys forwarded, window size followed, the task's output unfiltered on a terminal.")
    boolean tty;
    @Option(names = "--detach-keys", paramLabel = "KEYS", description = "With -t: keys that detach, e.g. "
            + "ctrl-p,ctrl-q (the default; TEROK_DETACH_KEYS sets another) or \"\" for none.")
    String detachKeys;
    @Option(names = {"-d", "--detach"}, description = "Print the task id and return at once.")
    boolean detach;
    @Option(names = "--rm", description = "Remove the task after it exits.")
    boolean rm;
    @Option(names = "--no-shield", description = "UNSAFE: no egress firewall.")
    boolean noShield;
    @Option(names = "--no-vault", description = "No phantom tokens (no credentials through the vault).")
    boolean noVault;
    @Option(names = "--no-gate", description = "No gate repository.")
    boolean noGate;
    @Option(names = "--no-clearance", description = "Blocked connections raise no operator prompt.")
    boolean noClearance;

    @Parameters(index = "0", paramLabel = "IMAGE")
    String image;
    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "Command and arguments (default: the image's).")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() {
        Context ctx = ctx();
        if (rm && detach) {
            throw new CliException("--rm cannot be combined with --detach",
                    "`terok rm TASK` removes a detached task once it has exited", CliException.USAGE, null);
        }
        LaunchRequest request = toRequest(ctx.env, Path.of("").toAbsolutePath());
        // With --rm, runtime removes the task itself once this command has had the exit code (through Logs, or through
        // the attach session with a TTY), or once the task has ended after this command went away (killed, detached):
        // the command returns without waiting for the container's removal and the release of its wiring.
        boolean removedByRuntime = request.getAutoRemove();
        warnOptOuts(ctx, request.getOptOut());
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            Task task = rt.call("cannot launch " + image, Deadlines.LAUNCH, stub -> stub.launch(request));
            task.getWarningsList().forEach(w -> ctx.err.println("warning: " + w));
            if (detach) {
                ctx.out.println(task.getId());
                return 0;
            }
            String id = task.getId();
            ctx.err.println("task " + id + " (" + task.getName() + ")");
            Thread interrupted = new Thread(() -> ctx.err.println(
                    "\nterok: interrupted; task " + id + " keeps running (`terok stop " + id + "` stops it)"
                            + (request.getAutoRemove() ? " and is removed when it ends" : "")));
            Runtime.getRuntime().addShutdownHook(interrupted);
            int exitCode;
            try {
                if (tty) {
                    // The task's terminal: keys forwarded, window followed; its output replayed from the start, so
                    // nothing written between the launch and the attach is lost. Sanitised unless this is a terminal.
                    TerminalSession.Outcome o = TerminalSession.attach(ctx, TerminalSession.Target.mainProcess(id, true),
                            DetachKeys.resolve(ctx.env, detachKeys));
                    if (o.detached()) {
                        return 0;
                    }
                    exitCode = o.exitCode();
                } else {
                    // One call follows the output and answers the exit code (no separate Wait round trip).
                    Integer code = LogsCommand.stream(rt, LogsRequest.newBuilder().setTask(id).setFollow(true)
                            .setWithExitCode(true).build(), ctx, false);
                    if (code == null) {
                        // A runtime that answered no exit code on the stream: asked separately, and removed here.
                        removedByRuntime = false;
                    }
                    exitCode = code != null ? code : rt.call("cannot wait for task " + id,
                            Deadlines.FOLLOW, stub -> stub.wait(WaitRequest.newBuilder().setTask(id).build()))
                            .getExitCode();
                }
            } finally {
                removeHook(interrupted);
            }
            if (rm && !removedByRuntime) {
                rt.call("task exited with code " + exitCode + " but cannot be removed",
                        stub -> stub.remove(RemoveRequest.newBuilder().setTask(id).build()))
                        .getWarningsList().forEach(w -> ctx.err.println("warning: " + w));
            }
            return exitCode;
        }
    }

    /** The request this command line describes; bad values fail here, before anything is sent. */
    LaunchRequest toRequest(Map<String, String> processEnv, Path cwd) {
        if (image == null || image.isBlank()) {
            throw CliException.badValue("IMAGE", String.valueOf(image), "an image name is needed");
        }
        RunSpec.Builder spec = RunSpec.newBuilder()
                .setImage(image)
                .addAllCommand(command)
                .putAllEnv(RunSpecMapper.env("--env", env, processEnv))
                .putAllAnnotations(RunSpecMapper.pairs("--annotation", annotations))
                .putAllLabels(RunSpecMapper.pairs("--label", labels))
                .setReadOnlyRoot(readOnly)
                .setNetwork(network(network))
                .addAllProviders(providers)
                .addAllShieldProfiles(profiles)
                .setTty(tty);
        volumes.forEach(v -> spec.addVolumes(RunSpecMapper.volume("--volume", v, cwd)));
        gpus.forEach(g -> spec.addGpus(RunSpecMapper.gpu("--gpus", g)));
        capAdd.forEach(c -> spec.addCapabilities(RunSpecMapper.capability("--cap-add", c)));
        spec.addAllSeccompAllow(seccompAllow);
        if (name != null) {
            spec.setName(name);
        }
        if (workdir != null) {
            spec.setWorkdir(workdir);
        }
        if (hostname != null) {
            spec.setHostname(hostname);
        }
        if (project != null) {
            spec.setProject(project);
        }
        if (memory != null || cpus != null || pidsLimit != null) {
            ResourceLimits.Builder limits = ResourceLimits.newBuilder();
            if (memory != null) {
                limits.setMemoryBytes(Sizes.parseBytes("--memory", memory));
            }
            if (cpus != null) {
                limits.setCpus(RunSpecMapper.cpus("--cpus", cpus));
            }
            if (pidsLimit != null) {
                limits.setPids(RunSpecMapper.positiveLong("--pids-limit", pidsLimit, "512"));
            }
            spec.setLimits(limits);
        }
        ServiceOptOut optOut = ServiceOptOut.newBuilder()
                .setShield(noShield).setVault(noVault).setGate(noGate).setClearance(noClearance).build();
        return LaunchRequest.newBuilder().setRunSpec(spec).setOptOut(optOut).setAutoRemove(rm).build();
    }

    static NetworkMode network(String mode) {
        return switch (mode) {
            case "filtered" -> NetworkMode.NETWORK_MODE_FILTERED;
            case "none" -> NetworkMode.NETWORK_MODE_NONE;
            default -> throw CliException.badValue("--network", mode, "expected filtered or none");
        };
    }

    static void warnOptOuts(Context ctx, ServiceOptOut optOut) {
        if (optOut.getShield()) {
            ctx.warn("--no-shield: this task has NO egress firewall; it can reach every address its network reaches");
        }
        if (optOut.getVault()) {
            ctx.warn("--no-vault: this task gets no phantom tokens; provider credentials are not brokered by the vault");
        }
        if (optOut.getGate()) {
            ctx.warn("--no-gate: this task gets no gate repository; its git traffic is not reviewed through the gate");
        }
        if (optOut.getClearance()) {
            ctx.warn("--no-clearance: blocked connections of this task raise no operator prompt");
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: the user pressed Ctrl-C
        }
    }
}
