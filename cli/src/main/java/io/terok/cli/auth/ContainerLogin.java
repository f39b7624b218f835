package io.terok.cli.auth;

import static io.terok.cli.core.ServiceApi.PROJECTS;
import static io.terok.cli.core.ServiceApi.RUNTIME;
import static io.terok.cli.core.ServiceApi.VAULT;

import com.google.protobuf.Timestamp;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.terok.agents.auth.CodexAuthJson;
import io.terok.agents.auth.DeviceCodePrompt;
import io.terok.agents.auth.SubscriptionLogin;
import io.terok.api.v1.AttachInput;
import io.terok.api.v1.AttachOutput;
import io.terok.api.v1.AttachStart;
import io.terok.api.v1.CredentialInfo;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.ExecRequest;
import io.terok.api.v1.ExecResponse;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.ListProjectSettingsRequest;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.ProjectInfo;
import io.terok.api.v1.PutCredentialRequest;
import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.ShowProjectRequest;
import io.terok.api.v1.Task;
import io.terok.api.v1.VolumeMount;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.common.Printable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A subscription login run by the agent's own CLI inside a throwaway hardened container: the project's agent image,
 * a read-only root (the login's home on tmpfs), no providers, no project, and shield's default-deny firewall with only
 * the vendor's login hosts open. The person sees the vendor's link (as terok knows it) and the one-time code taken out
 * of the login's output; when the login ends well, the file it wrote is read through an exec (into memory, never onto
 * the host's disk), checked, and its tokens stored in the vault. The container is removed whatever happens.
 */
final class ContainerLogin {
    private final Context ctx;
    private final SubscriptionLogin login;
    private final String credentialSet;

    ContainerLogin(Context ctx, SubscriptionLogin login, String credentialSet) {
        this.ctx = ctx;
        this.login = login;
        this.credentialSet = credentialSet;
    }

    int run(String project, Duration timeout, Path caFile) {
        String what = "the " + login.vendor() + " login for provider " + login.provider();
        if (caFile != null && !Files.isReadable(caFile)) {
            throw new CliException("--ca-file " + caFile + ": not a readable file; nothing stored", "give a PEM bundle",
                    CliException.USAGE, null);
        }
        String image = image(project);
        String name = "terok-login-" + login.agent() + "-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
        RunSpec.Builder spec = RunSpec.newBuilder().setName(name).setImage(image)
                // The login runs through an exec; the main process only keeps the container up, at most this long.
                .addAllCommand(List.of("sleep", Long.toString(timeout.toSeconds() + 120)))
                .setNetwork(NetworkMode.NETWORK_MODE_FILTERED).addShieldProfiles(login.shieldProfile())
                .setReadOnlyRoot(true).setWorkdir("/tmp").putLabels("terok-login", login.provider())
                .putAllEnv(login.env());
        if (caFile != null) {
            spec.addVolumes(VolumeMount.newBuilder().setHostPath(caFile.toAbsolutePath().toString())
                    .setContainerPath(SubscriptionLogin.CA_PATH).setReadOnly(true));
            login.caEnv().forEach(v -> spec.putEnv(v, SubscriptionLogin.CA_PATH));
        }
        // The exec session gets the same variables as the container (explicitly: what an exec inherits is podman's call).
        java.util.Map<String, String> execEnv = new java.util.LinkedHashMap<>(spec.getEnvMap());
        ctx.err.println("terok: starting " + what + " in a throwaway container (" + image + "; egress: shield profile "
                + login.shieldProfile() + " only)");
        Task task = RUNTIME.call(ctx, "cannot start the login container for " + login.provider(), rt -> rt.launch(
                LaunchRequest.newBuilder().setRunSpec(spec).build()));
        String id = task.getId();
        try {
            if (login.pastesCode()) {
                storeSetupToken(setupTokenInContainer(id, what, timeout, execEnv), what);
                return 0;
            }
            byte[] file = loginInContainer(id, what, timeout, execEnv);
            CodexAuthJson.ChatGptLogin tokens;
            try {
                tokens = CodexAuthJson.read(new String(file, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new CliException(what + " failed: " + e.getMessage() + "; nothing stored",
                        "run `terok auth " + login.agent() + " --subscription` again");
            }
            PutCredentialRequest.Builder put = PutCredentialRequest.newBuilder().setProvider(login.provider())
                    .setCredentialSet(credentialSet).setKind(CredentialKind.CREDENTIAL_KIND_OAUTH)
                    .setOauthAccessToken(tokens.accessToken()).setOauthRefreshToken(tokens.refreshToken())
                    .setOauthAccountId(tokens.accountId());
            tokens.accessExpiresAt().ifPresent(t -> put.setOauthExpiresAt(Timestamp.newBuilder().setSeconds(t.getEpochSecond())));
            CredentialInfo info = VAULT.call(ctx, "cannot store the " + login.provider() + " credential", v -> v.putCredential(put.build()));
            ctx.out.println("logged in: the " + login.vendor() + " tokens of account " + tokens.accountId() + " are in the vault as"
                    + " provider " + info.getProvider() + " (set " + info.getCredentialSet() + "); a task gets phantoms only:"
                    + " `terok task run PROJECT --agent " + login.agent() + " --provider " + login.provider() + " PROMPT`");
            return 0;
        } finally {
            remove(id, name);
        }
    }

    /** The project's image, or the first built project image that carries the agent. */
    private String image(String project) {
        List<ProjectInfo> candidates;
        if (project != null) {
            ProjectInfo one = PROJECTS.call(ctx, "cannot read project " + project, p -> p.show(ShowProjectRequest.newBuilder()
                    .setProject(project).build()));
            candidates = List.of(one);
        } else {
            candidates = PROJECTS.call(ctx, "cannot list the projects", p -> p.list(ListProjectSettingsRequest.getDefaultInstance()))
                    .getProjectsList();
        }
        for (ProjectInfo p : candidates) {
            List<String> agents = p.getSettings().getAgentsList();
            boolean carries = agents.isEmpty() || agents.contains("all") || agents.contains(login.agent());
            if (carries && p.getImageBuilt() && !p.getImage().isEmpty()) {
                return p.getImage();
            }
        }
        String which = project != null ? "project " + project + "'s image is not built or does not carry " + login.agent()
                : "no project has a built image with " + login.agent();
        throw new CliException("the " + login.vendor() + " login runs " + login.agent() + " from a project's image, but " + which
                + "; nothing stored", "`terok project init NAME --upstream URL --agents " + login.agent()
                + "` (or `--project NAME` naming one whose image has it)", CliException.USAGE, null);
    }

    /** Runs the login through an exec session; the file it wrote, read into memory. */
    private byte[] loginInContainer(String id, String what, Duration timeout, java.util.Map<String, String> execEnv) {
        DeviceCodePrompt prompt = new DeviceCodePrompt(login.deviceLink());
        Deque<String> tail = new ArrayDeque<>();
        java.util.concurrent.atomic.AtomicBoolean shown = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<String> foreign = new java.util.concurrent.atomic.AtomicReference<>();
        Session s = new Session(raw -> {
            // The raw line only reaches the parser (which strips escape sequences itself); a person sees it sanitised.
            synchronized (tail) {
                tail.addLast(Printable.line(raw, 300));
                if (tail.size() > 12) {
                    tail.removeFirst();
                }
            }
            prompt.accept(raw);
            if (prompt.sawForeignLink() && !shown.get() && foreign.get() == null) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("https?://[^\\s\\x1b\\x07]+").matcher(raw);
                foreign.set(m.find() ? Printable.line(m.group(), 120) : "?");
            }
            if (prompt.prompt().isPresent() && shown.compareAndSet(false, true)) {
                DeviceCodePrompt.Prompt p = prompt.prompt().get();
                ctx.out.println();
                ctx.out.println("To log in to " + login.vendor() + ", open " + p.link());
                ctx.out.println("and enter the code " + p.code() + "   (it expires after about 15 minutes)");
                ctx.out.println();
                ctx.out.flush();
            }
        });
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            prepareHome(rt, id, what);
            ClientCallStreamObserver<AttachInput> call = (ClientCallStreamObserver<AttachInput>)
                    RuntimeServiceGrpc.newStub(rt.channel()).attach(s);
            call.onNext(AttachInput.newBuilder().setStart(AttachStart.newBuilder().setTask(id).addAllCommand(login.command())
                    .putAllEnv(execEnv).setWorkdir("/tmp")).build());
            // The login reads nothing: its stdin ends now.
            call.onCompleted();
            // A link other than the vendor's before the code was shown (a tampered image phishing): the code is never
            // shown, and the login is stopped unless it ends by itself right after (a failing login names its URLs).
            long deadline = System.nanoTime() + timeout.toNanos();
            long foreignSince = 0;
            boolean ended = false;
            try {
                while (!(ended = s.done.await(200, TimeUnit.MILLISECONDS)) && System.nanoTime() < deadline) {
                    if (foreign.get() != null && foreignSince == 0) {
                        foreignSince = System.nanoTime();
                    }
                    if (foreignSince != 0 && System.nanoTime() - foreignSince > TimeUnit.SECONDS.toNanos(5)) {
                        call.cancel("foreign link", null);
                        throw new CliException(what + " was stopped: the login printed a link other than " + login.deviceLink()
                                + " (a tampered image? do not open " + foreign.get() + "); nothing stored",
                                "rebuild the project's image and check where it came from");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!ended) {
                call.cancel("timed out", null);
                throw new CliException(what + " timed out after " + timeout.toSeconds() + " s (nobody entered the code?);"
                        + " nothing stored", "run `terok auth " + login.agent() + " --subscription` again and enter the code"
                        + " within the time (--timeout SECONDS)");
            }
            if (s.error != null) {
                throw rt.failure("cannot run the login in its container", s.error instanceof io.grpc.StatusRuntimeException sre
                        ? sre : io.grpc.Status.UNKNOWN.withDescription(String.valueOf(s.error.getMessage())).asRuntimeException());
            }
            if (s.exitCode != 0) {
                String said;
                synchronized (tail) {
                    said = String.join(" | ", tail);
                }
                throw new CliException(what + " failed: `" + String.join(" ", login.command()) + "` ended with exit code "
                        + s.exitCode + (said.isBlank() ? "" : " (it said: " + Printable.line(said, 400) + ")") + "; nothing stored",
                        "check the account and run `terok auth " + login.agent() + " --subscription` again");
            }
            ExecResponse cat = rt.call("cannot read the login's result", r -> r.exec(ExecRequest.newBuilder().setTask(id)
                    .addAllCommand(List.of("cat", login.resultFile())).setTimeoutSeconds(30).build()));
            if (cat.getExitCode() != 0) {
                throw new CliException(what + " ended without writing " + login.resultFile() + "; nothing stored",
                        "run `terok auth " + login.agent() + " --subscription` again");
            }
            return cat.getStdout().toByteArray();
        }
    }

    /** The login's home directories, private to the container's user, before the login writes into them. */
    private void prepareHome(ServiceClient<RuntimeServiceBlockingStub> rt, String id, String what) {
        List<String> mkdir = new java.util.ArrayList<>(List.of("mkdir", "-p", "-m", "700", "--"));
        mkdir.addAll(login.dirs());
        ExecResponse made = rt.call("cannot prepare the login's home", r -> r.exec(ExecRequest.newBuilder().setTask(id)
                .addAllCommand(mkdir).setTimeoutSeconds(30).build()));
        if (made.getExitCode() != 0) {
            throw new CliException(what + " could not start: mkdir in its container failed (exit " + made.getExitCode() + "): "
                    + Printable.line(made.getStderr().toStringUtf8(), 300) + "; nothing stored", "see the runtime service's log");
        }
    }

    /** The token setup-token printed, stored as the subscription's OAuth credential (it lives a year; no refresh). */
    private void storeSetupToken(String token, String what) {
        KeyShapes.subscriptionProblem(login.provider(), token).ifPresent(p -> {
            throw new CliException(what + " printed something that is not a token (" + p + "); nothing stored",
                    "run `terok auth " + login.agent() + " --subscription` again");
        });
        CredentialInfo info = VAULT.call(ctx, "cannot store the " + login.provider() + " subscription token", v -> v.putCredential(
                PutCredentialRequest.newBuilder().setProvider(login.provider()).setCredentialSet(credentialSet)
                        .setKind(CredentialKind.CREDENTIAL_KIND_OAUTH).setOauthAccessToken(token).build()));
        ctx.out.println("logged in: the Claude subscription token is in the vault as provider " + info.getProvider() + " (set "
                + info.getCredentialSet() + "); a task gets a phantom only: `terok task run PROJECT --agent claude PROMPT`");
    }

    /**
     * Runs {@code claude setup-token} on a TTY (it draws nothing without one) through an exec session: shows the
     * authorize link terok rebuilt from its checked parts, reads the code the person pastes (checked, then typed into the
     * login's terminal), and returns the token the login prints. The screen is never shown: it ends with the token.
     */
    private String setupTokenInContainer(String id, String what, Duration timeout, java.util.Map<String, String> execEnv) {
        io.terok.agents.auth.SetupTokenScreen screen = new io.terok.agents.auth.SetupTokenScreen();
        java.util.concurrent.BlockingQueue<String> pasted = new java.util.concurrent.LinkedBlockingQueue<>();
        String again = "run `terok auth " + login.agent() + " --subscription` again";
        Session s = new Session(raw -> { }, screen::accept);
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            prepareHome(rt, id, what);
            ClientCallStreamObserver<AttachInput> call = (ClientCallStreamObserver<AttachInput>)
                    RuntimeServiceGrpc.newStub(rt.channel()).attach(s);
            // A wide terminal: the link and the token are each drawn on one line, never wrapped.
            call.onNext(AttachInput.newBuilder().setStart(AttachStart.newBuilder().setTask(id).addAllCommand(login.command())
                    .setTty(true).setSize(io.terok.api.v1.WindowSize.newBuilder().setColumns(2000).setRows(50))
                    .putAllEnv(execEnv).setWorkdir("/tmp")).build());
            long deadline = System.nanoTime() + timeout.toNanos();
            boolean asked = false;
            String typed = null;
            try {
                while (System.nanoTime() < deadline) {
                    java.util.Optional<String> token = screen.token();
                    if (token.isPresent()) {
                        call.cancel("token read", null);
                        return token.get();
                    }
                    if (screen.foreignLink().isPresent()) {
                        call.cancel("foreign link", null);
                        throw new CliException(what + " was stopped: the login printed a sign-in link other than Anthropic's"
                                + " (a tampered image? do not open " + Printable.line(screen.foreignLink().get(), 120)
                                + "); nothing stored", "rebuild the project's image and check where it came from");
                    }
                    if (screen.error().isPresent()) {
                        call.cancel("login failed", null);
                        throw new CliException(what + " failed: Anthropic did not take the code (Claude Code said: "
                                + Printable.line(screen.error().get(), 300) + "); nothing stored",
                                again + ", open the new link and paste the code its page shows");
                    }
                    if (screen.link().isPresent() && !asked) {
                        asked = true;
                        ctx.out.println();
                        ctx.out.println("To log in to Claude, open " + screen.link().get().url());
                        ctx.out.println("sign in, and paste the code the page shows (CODE#STATE) here.");
                        ctx.out.flush();
                        readLineInBackground(pasted);
                    }
                    if (s.done.getCount() == 0) {
                        break;
                    }
                    String line = pasted.poll(200, TimeUnit.MILLISECONDS);
                    if (line != null && typed == null) {
                        String code = line.strip();
                        java.util.Optional<String> problem = io.terok.agents.auth.SetupTokenScreen.pastedProblem(code,
                                screen.link().get());
                        if (problem.isPresent()) {
                            call.cancel("bad code", null);
                            throw new CliException(what + ": " + problem.get() + "; nothing stored", again);
                        }
                        typed = code;
                        call.onNext(AttachInput.newBuilder().setStdin(com.google.protobuf.ByteString.copyFromUtf8(code)).build());
                        // Claude Code's prompt takes a paste and its Enter as separate events, like a person's keystrokes.
                        Thread.sleep(300);
                        call.onNext(AttachInput.newBuilder().setStdin(com.google.protobuf.ByteString.copyFromUtf8("\r")).build());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (screen.token().isPresent()) {
                return screen.token().get();
            }
            if (s.done.getCount() != 0) {
                call.cancel("timed out", null);
                throw new CliException(what + " timed out after " + timeout.toSeconds() + " s ("
                        + (typed == null ? "nobody pasted the code" : "no token after the code was pasted") + "); nothing stored",
                        again + " and paste the code within the time (--timeout SECONDS)");
            }
            if (s.error != null) {
                throw rt.failure("cannot run the login in its container", s.error instanceof io.grpc.StatusRuntimeException sre
                        ? sre : io.grpc.Status.UNKNOWN.withDescription(String.valueOf(s.error.getMessage())).asRuntimeException());
            }
            throw new CliException(what + " failed: `" + String.join(" ", login.command()) + "` ended with exit code " + s.exitCode
                    + " before printing a token; nothing stored", again);
        }
    }

    /** One line from the person: the terminal without echo, else standard input; handed over when it comes. */
    private static void readLineInBackground(java.util.concurrent.BlockingQueue<String> into) {
        Thread t = new Thread(() -> {
            String line;
            java.io.Console console = System.console();
            if (console != null) {
                char[] c = console.readPassword("code: ");
                line = c == null ? null : new String(c);
            } else {
                try {
                    line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                } catch (java.io.IOException e) {
                    line = null;
                }
            }
            if (line != null) {
                into.add(line);
            }
        }, "terok-login-code");
        t.setDaemon(true);
        t.start();
    }

    private void remove(String id, String name) {
        try {
            RUNTIME.call(ctx, "cannot remove the login container " + name, rt -> rt.remove(RemoveRequest.newBuilder().setTask(id)
                    .setForce(true).build()));
        } catch (CliException e) {
            ctx.err.println("terok: WARNING: the login container " + name + " was not removed (" + e.getMessage()
                    + "): remove it with `terok rm -f " + name + "`");
        }
    }

    /** What comes back from the exec session: lines of output, then the end. */
    private static final class Session implements ClientResponseObserver<AttachInput, AttachOutput> {
        interface Lines {
            void line(String raw);
        }

        private final Lines lines;
        private final java.util.function.Consumer<String> chunks;
        private final StringBuilder partial = new StringBuilder();
        final CountDownLatch done = new CountDownLatch(1);
        volatile int exitCode = -1;
        volatile Throwable error;

        Session(Lines lines) {
            this(lines, chunk -> { });
        }

        /** @param chunks every piece of output as it comes (a TTY's drawing has no useful lines) */
        Session(Lines lines, java.util.function.Consumer<String> chunks) {
            this.lines = lines;
            this.chunks = chunks;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<AttachInput> requestStream) {
        }

        @Override
        public void onNext(AttachOutput out) {
            switch (out.getOutputCase()) {
                case STDOUT -> feed(out.getStdout().toStringUtf8());
                case STDERR -> feed(out.getStderr().toStringUtf8());
                case END -> exitCode = out.getEnd().getExitCode();
                default -> {
                }
            }
        }

        private void feed(String text) {
            chunks.accept(text);
            partial.append(text);
            int nl;
            while ((nl = partial.indexOf("\n")) >= 0) {
                String line = partial.substring(0, nl);
                partial.delete(0, nl + 1);
                lines.line(line.length() > 4000 ? line.substring(0, 4000) : line);
            }
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            done.countDown();
        }

        @Override
        public void onCompleted() {
            if (partial.length() > 0) {
                String rest = partial.toString();
                partial.setLength(0);
                lines.line(rest.length() > 4000 ? rest.substring(0, 4000) : rest);
            }
            done.countDown();
        }
    }
}
