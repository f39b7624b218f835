package io.terok.cli.host;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractBlockingStub;
import io.terok.api.v1.ClearanceStatus;
import io.terok.api.v1.ClearanceStatusRequest;
import io.terok.api.v1.GetPanicStateRequest;
import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.Task;
import io.terok.api.v1.VaultStatus;
import io.terok.api.v1.VaultStatusRequest;
import io.terok.common.Printable;
import io.terok.api.v1.PanicState;
import io.terok.cli.core.Context;
import io.terok.cli.core.GrpcErrors;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Times;
import io.terok.cli.core.Verb;
import io.terok.cli.services.Health;
import io.terok.cli.services.ServiceLayout;
import io.terok.common.ServiceName;
import io.terok.common.TasksCgroup;
import io.terok.common.grpc.HealthProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;

@Command(name = "doctor", description = {"Check the host, the services and the Quadlet deployment, one line per check.",
    "Exits 0 when all is well, 1 on warnings, 2 on errors."})
public final class DoctorCommand extends Verb {
    /** Which Quadlet deployment to check; without it the system's as root and the user's otherwise. */
    @ArgGroup(exclusive = true)
    SetupCommand.ModeOption mode;

    @Override
    public Integer call() throws IOException {
        Context ctx = ctx();
        HostChecks host = new HostChecks(ctx);
        List<Check> checks = new ArrayList<>(host.podman());
        checks.add(host.catatonit());
        checks.addAll(host.rootless());
        checks.add(host.runtimeDir());
        checks.addAll(VaultConfigOrigins.checks(ctx.paths.configFile(), ctx.env));
        ctx.beforeGrpc();
        ServiceLayout layout = new ServiceLayout(ctx);
        checks.addAll(services(layout));
        checks.add(vault(ctx, layout));
        checks.add(panic(ctx, layout));
        checks.add(pendingReleases(ctx, layout));
        checks.add(hooks(ctx, layout));
        checks.add(tasksCgroup(layout));
        checks.add(desktop(ctx, layout));
        checks.addAll(new DeploymentChecks(ctx, mode == null ? null : mode.mode()).all());
        Check.Severity worst = Check.Severity.OK;
        for (Check c : checks) {
            ctx.out.println(c.line());
            if (c.severity().compareTo(worst) > 0) {
                worst = c.severity();
            }
        }
        return switch (worst) {
            case OK -> 0;
            case WARN -> 1;
            case ERROR -> 2;
        };
    }

    /**
     * A check that asks one service: a warning when it is not running or does not answer within {@code deadline},
     * else what {@code ask} concludes from the service's answer.
     */
    static <S extends AbstractBlockingStub<S>> Check askService(Context ctx, ServiceLayout layout, ServiceApi<S> api,
                                                                 Duration deadline, String label, Function<S, Check> ask) {
        ServiceName service = api.service();
        if (!Files.exists(layout.socket(service))) {
            return Check.warn(label, "cannot check: " + service.id() + " is not running", "run `terok services up`");
        }
        try (ServiceClient<S> cl = api.connect(ctx)) {
            return ask.apply(cl.stub(deadline));
        } catch (StatusRuntimeException e) {
            return Check.warn(label, service.id() + " did not answer: " + GrpcErrors.describe(e.getStatus()),
                    "check `terok services status`");
        }
    }

    /**
     * Why the vault is locked, which its health line cannot say: its unlock at start failed (the service then stays
     * NOT_SERVING; the reason is also in its log), it is still unlocking, or `terok panic` holds it.
     */
    static Check vault(Context ctx, ServiceLayout layout) {
        String label = "vault";
        return askService(ctx, layout, ServiceApi.VAULT, Duration.ofSeconds(5), label, v -> {
            VaultStatus st = v.status(VaultStatusRequest.getDefaultInstance());
            if (st.getUnlocked()) {
                return Check.ok(label, "unlocked (" + st.getTier() + " tier)");
            }
            if (st.getUnlocking()) {
                return Check.warn(label, "unlocking (the vault service has just started)", "check again in a moment");
            }
            if (!st.getHeldSince().isEmpty()) {
                return Check.warn(label, "held locked by `terok panic` since " + st.getHeldSince(), "run `terok vault unlock`");
            }
            if (!st.getError().isEmpty()) {
                return Check.error(label, "locked: " + st.getError(), "fix that and run `terok vault unlock`");
            }
            return Check.warn(label, st.getInitialized() ? "locked" : "not set up yet",
                    st.getInitialized() ? "run `terok vault unlock`" : "run `terok setup`");
        });
    }

    /** Whether terok is in panic mode (launches refused) since an earlier `terok panic`. */
    static Check panic(Context ctx, ServiceLayout layout) {
        String label = "panic mode";
        return askService(ctx, layout, ServiceApi.RUNTIME, Duration.ofSeconds(5), label, rt -> {
            PanicState st = rt.getPanicState(GetPanicStateRequest.getDefaultInstance());
            return st.getActive()
                    ? Check.error(label, "on since " + Times.toSecond(st.getSince())
                            + ": no task is launched", "when it is over: `terok panic --clear`")
                    : Check.ok(label, "off");
        });
    }

    /**
     * Whether every removed task gave back its wiring: a removal (an auto-remove task's, done by runtime after `terok
     * run --rm` returned, or a `terok rm`) whose release failed keeps its record until runtime's retry succeeds.
     */
    static Check pendingReleases(Context ctx, ServiceLayout layout) {
        String label = "task releases";
        return askService(ctx, layout, ServiceApi.RUNTIME, Duration.ofSeconds(5), label, rt -> {
            List<String> pending = rt.list(ListTasksRequest.newBuilder().setAll(true).build()).getTasksList().stream()
                    .filter(Task::getReleasePending)
                    .map(t -> Printable.line(t.getName(), 80) + ": " + Printable.line(String.join("; ", t.getWarningsList()), 300))
                    .toList();
            return pending.isEmpty() ? Check.ok(label, "nothing held for a removed task")
                    : Check.warn(label, pending.size() + " removed task(s) still hold wiring: " + String.join(" | ", pending),
                            "runtime retries by itself once the service is back; `terok rm TASK` retries now");
        });
    }

    /** Whether shield's OCI hooks are installed and current (without them filtered tasks cannot start). */
    static Check hooks(Context ctx, ServiceLayout layout) {
        String label = "firewall hooks";
        return askService(ctx, layout, ServiceApi.SHIELD, Duration.ofSeconds(5), label, shield -> {
            HooksStatus st = shield.getHooksStatus(HooksRequest.getDefaultInstance());
            if (st.getInstalled() && !st.getStale()) {
                return Check.ok(label, "installed in " + st.getHooksDir());
            }
            String why = st.getProblemsList().isEmpty() ? (st.getStale() ? "stale" : "missing") : String.join("; ", st.getProblemsList());
            return Check.error(label, why, "run `terok setup`");
        });
    }

    /**
     * Whether task containers yield the CPU to terok's services under contention (their weighted parent cgroup), as
     * the runtime recorded at its last launch beside its socket; where it cannot be applied tasks launch as without it.
     */
    static Check tasksCgroup(ServiceLayout layout) {
        String label = "tasks' CPU weight";
        Optional<String> line = TasksCgroup.recorded(layout.socket(ServiceName.RUNTIME).getParent());
        if (line.isEmpty()) {
            return Check.ok(label, "decided at the runtime's next launch of a task");
        }
        return line.get().startsWith(TasksCgroup.FAILED)
                ? Check.warn(label, line.get(), "fix that or set terok.runtime.tasks-cpu-shares to 0; see the operator guide")
                : Check.ok(label, line.get());
    }

    /** Whether blocked connections reach the operator's desktop, as clearance sees it. */
    static Check desktop(Context ctx, ServiceLayout layout) {
        String label = "desktop notifications";
        return askService(ctx, layout, ServiceApi.CLEARANCE, Duration.ofSeconds(3), label, clearance -> {
            ClearanceStatus st = clearance.status(ClearanceStatusRequest.getDefaultInstance());
            return st.getDesktop() ? Check.ok(label, st.getDesktopDetail())
                    : Check.warn(label, st.getDesktopDetail(), "blocked connections wait in `terok clearance`; start clearance "
                            + "inside a desktop session (DBUS_SESSION_BUS_ADDRESS) with a notification server for pop-ups");
        });
    }

    static List<Check> services(ServiceLayout layout) {
        Map<ServiceName, HealthProbe.Result> health = Health.probeAll(layout, 3000);
        List<Check> checks = new ArrayList<>();
        for (ServiceName s : ServiceName.values()) {
            HealthProbe.Result r = health.get(s);
            String label = s.id() + " service";
            if (r.serving()) {
                checks.add(Check.ok(label, "serving at " + layout.socket(s)));
            } else {
                String detail = r.detail().equals(Health.NO_SOCKET) ? "no socket at " + layout.socket(s) : r.detail();
                checks.add(Check.error(label, detail, "run `terok services up`"));
            }
        }
        return checks;
    }
}
