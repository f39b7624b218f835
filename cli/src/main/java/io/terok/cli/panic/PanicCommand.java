package io.terok.cli.panic;

import com.google.protobuf.Timestamp;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.ClearPanicRequest;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.LockRequest;
import io.terok.api.v1.PanicReport;
import io.terok.api.v1.PanicRequest;
import io.terok.api.v1.PanicTaskOutcome;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.ShieldServiceGrpc.ShieldServiceBlockingStub;
import io.terok.api.v1.ShieldState;
import io.terok.api.v1.ShieldTaskRef;
import io.terok.api.v1.Task;
import io.terok.api.v1.VaultServiceGrpc.VaultServiceBlockingStub;
import io.terok.api.v1.VaultStatus;
import io.terok.api.v1.VaultStatusRequest;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.GrpcErrors;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Tasks;
import io.terok.cli.core.Times;
import io.terok.cli.core.Verb;
import io.terok.common.HostProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code terok panic}: the emergency stop, carried out by runtime-service (which knows every task and what each was
 * given). When runtime cannot carry it out, the CLI falls back to what it can do alone, and fails closed: it kills
 * every terok task container through podman and locks the vault itself.
 */
@Command(name = "panic", description = {
    "Emergency stop: no new task is launched, every task's firewall blocks everything in and out (a task that has no",
    "firewall, or whose firewall cannot be blocked, is killed), and the vault is locked and held locked across restarts,",
    "so no phantom token or SSH key works. Nothing is removed and no token revoked: look first, clean up after.",
    "Exits 0 when every task is contained and the vault held, 1 otherwise."})
public final class PanicCommand extends Verb {
    /** Blocks and kills run in parallel in runtime; a kill may take podman's own call timeout. */
    static final Duration PANIC = Duration.ofSeconds(90);
    /** The vault and shield are asked for one answer each, outside runtime: no reason to wait long. */
    static final Duration CHECK = Duration.ofSeconds(15);

    @Option(names = "--stop", description = "Also kill every task (podman stop without grace); they are kept for inspection.")
    boolean stop;

    @Option(names = "--clear", description = "End the panic: tasks can be launched again. Blocked firewalls and the held vault"
            + " stay until you lift them (`terok shield up TASK`, `terok vault unlock`).")
    boolean clear;

    @Override
    public Integer call() {
        if (stop && clear) {
            throw new CliException("--stop and --clear cannot be given together", null, CliException.USAGE, null);
        }
        return clear ? clear(ctx()) : engage(ctx());
    }

    private int engage(Context ctx) {
        PanicReport report;
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            report = rt.stub(PANIC).panic(PanicRequest.newBuilder().setStopTasks(stop).build());
        } catch (CliException | StatusRuntimeException e) {
            String why = e instanceof StatusRuntimeException s ? GrpcErrors.describe(s.getStatus()) : e.getMessage();
            return fallback(ctx, why);
        }
        ctx.out.println("PANIC since " + time(report.getState().getSince())
                + ": no task is launched until `terok panic --clear`");
        if (!report.getLockError().isEmpty()) {
            ctx.out.println("  WARNING: " + report.getLockError());
        }
        boolean all = report.getLockError().isEmpty();
        for (PanicTaskOutcome t : report.getTasksList()) {
            ctx.out.println("  " + label(t.getName(), t.getTaskId()) + "  " + describe(t));
            all &= t.getContained();
        }
        if (report.getTasksCount() == 0) {
            ctx.out.println("  no tasks");
        }
        if (report.getVaultHeld()) {
            ctx.out.println("vault: locked and held (it stays locked across restarts until `terok vault unlock`)");
        } else {
            ctx.out.println("vault: NOT held: " + report.getVaultError());
            all = false;
        }
        ctx.out.println("next: look with `terok logs TASK` and `terok shield logs TASK`; take a task's credentials back with"
                + " `terok revoke TASK` or remove it with `terok rm -f TASK`; when it is over: `terok panic --clear`,"
                + " `terok shield up TASK`, `terok vault unlock`");
        return all ? 0 : CliException.FAILED;
    }

    static String describe(PanicTaskOutcome t) {
        List<String> parts = new ArrayList<>();
        if (!t.getContained()) {
            parts.add("NOT CONTAINED");
        }
        if (t.getBlocked()) {
            parts.add("firewall blocked (nothing in or out)");
        }
        if (t.getStopped()) {
            parts.add("killed");
        }
        if (!t.getDetail().isEmpty()) {
            parts.add(t.getDetail());
        }
        return String.join("; ", parts);
    }

    /**
     * runtime-service did not carry out the panic: kill what podman knows as terok tasks and lock the vault directly.
     * Launches are not refused (that lock lives in runtime), so this always exits 1 and says so.
     */
    private int fallback(Context ctx, String why) {
        ctx.err.println("terok: runtime-service did not carry out the panic (" + why + ")");
        ctx.err.println("terok: falling back: killing every terok task container through podman and locking the vault directly");
        ctx.out.println("PANIC (without runtime-service): launches are NOT refused; run `terok panic` again once"
                + " runtime-service answers (`terok services status`)");
        killAllTasks(ctx);
        try (ServiceClient<VaultServiceBlockingStub> vault = ServiceApi.VAULT.connect(ctx)) {
            vault.call("cannot lock the vault", CHECK, v -> v.lock(LockRequest.newBuilder().setHold(true).build()));
            ctx.out.println("vault: locked and held (it stays locked across restarts until `terok vault unlock`)");
        } catch (CliException e) {
            ctx.out.println("vault: NOT held: " + e.getMessage());
        }
        return CliException.FAILED;
    }

    private void killAllTasks(Context ctx) {
        List<String> podman = new ArrayList<>(List.of("podman"));
        String socket = ctx.env.get("TEROK_PODMAN_SOCKET");
        if (socket != null && !socket.isBlank()) {
            podman.add("--url=unix://" + socket);
        }
        try {
            List<String> ps = new ArrayList<>(podman);
            ps.addAll(List.of("ps", "-q", "--no-trunc", "--filter", "label=io.terok.task"));
            HostProcess.Result running = HostProcess.of(ps).timeout(Duration.ofSeconds(30)).run();
            if (!running.ok()) {
                ctx.out.println("  NOT CONTAINED: podman cannot list the task containers: " + running.firstLine());
                return;
            }
            List<String> ids = running.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (ids.isEmpty()) {
                ctx.out.println("  no running task containers");
                return;
            }
            List<String> kill = new ArrayList<>(podman);
            kill.addAll(List.of("stop", "--time", "0"));
            kill.addAll(ids);
            HostProcess.Result killed = HostProcess.of(kill).timeout(Duration.ofSeconds(60)).run();
            for (String id : ids) {
                ctx.out.println("  " + Tasks.shortId(id) + "  " + (killed.ok() ? "killed" : "NOT CONTAINED: " + killed.firstLine()));
            }
        } catch (IOException e) {
            ctx.out.println("  NOT CONTAINED: cannot run podman: " + e.getMessage());
        }
    }

    private int clear(Context ctx) {
        List<Task> running;
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            rt.call("cannot end the panic", r -> r.clearPanic(ClearPanicRequest.getDefaultInstance()));
            ctx.out.println("panic cleared: tasks can be launched again");
            running = rt.call("cannot list tasks", r -> r.list(ListTasksRequest.getDefaultInstance())).getTasksList();
        }
        // What the panic left as it was, so that nothing looks open that is not (and nothing closed is forgotten).
        for (Task t : running) {
            if (t.getWiring().getShieldApplied()) {
                String shield = shieldState(ctx, t);
                if (!shield.isEmpty()) {
                    ctx.out.println("  " + label(t.getName(), t.getId()) + "  " + shield);
                }
            }
        }
        try (ServiceClient<VaultServiceBlockingStub> vault = ServiceApi.VAULT.connect(ctx)) {
            VaultStatus s = vault.stub(CHECK).status(VaultStatusRequest.getDefaultInstance());
            if (!s.getHeldSince().isEmpty()) {
                ctx.out.println("vault: still held locked: `terok vault unlock` unlocks it");
            }
        } catch (CliException | StatusRuntimeException e) {
            ctx.out.println("vault: not checked (" + (e instanceof StatusRuntimeException s ? GrpcErrors.describe(s.getStatus())
                    : e.getMessage()) + ")");
        }
        return 0;
    }

    /** What to tell about a running task's firewall after the panic: empty when it is no longer blocked. */
    private static String shieldState(Context ctx, Task t) {
        try (ServiceClient<ShieldServiceBlockingStub> shield = ServiceApi.SHIELD.connect(ctx)) {
            ShieldState s = shield.stub(CHECK).status(ShieldTaskRef.newBuilder().setTaskId(t.getId()).build()).getState();
            return s == ShieldState.SHIELD_STATE_BLOCKED ? "firewall still blocked: `terok shield up " + t.getName() + "` reopens it" : "";
        } catch (CliException | StatusRuntimeException e) {
            return "firewall state not checked (" + (e instanceof StatusRuntimeException x ? GrpcErrors.describe(x.getStatus())
                    : e.getMessage()) + "): `terok shield status " + t.getName() + "`";
        }
    }

    private static String label(String name, String id) {
        return name + " (" + Tasks.shortId(id) + ")";
    }

    private static String time(Timestamp ts) {
        return ts.getSeconds() == 0 ? "an unknown time" : Times.toSecond(ts).toString();
    }
}
