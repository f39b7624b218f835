package io.terok.cli.services;

import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import io.terok.common.ServiceName;
import io.terok.common.grpc.HealthProbe;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;

@Command(name = "status", description = {"One line per service: name, socket, health, and the pid if `terok services up` "
        + "started it.", "Then the web console's line (its address when it runs).", "Exits 0 when all five are healthy, 1 otherwise."})
final class ServicesStatusCommand extends Verb {
    @Override
    public Integer call() {
        Context ctx = ctx();
        ServiceLayout layout = new ServiceLayout(ctx);
        ctx.beforeGrpc();
        Map<ServiceName, HealthProbe.Result> health = Health.probeAll(layout, 3000);
        int socketWidth = 0;
        for (ServiceName s : ServiceName.values()) {
            socketWidth = Math.max(socketWidth, layout.socket(s).toString().length());
        }
        boolean allHealthy = true;
        for (ServiceName s : ServiceName.values()) {
            HealthProbe.Result r = health.get(s);
            allHealthy &= r.serving();
            ctx.out.println(line(s, layout, r, socketWidth));
        }
        // The console is optional: its line informs, it does not change the exit code.
        ctx.out.println(new EmbeddedConsole(ctx).statusLine(socketWidth));
        return allHealthy ? 0 : 1;
    }

    static String line(ServiceName s, ServiceLayout layout, HealthProbe.Result r, int socketWidth) {
        String state = r.serving() ? "healthy" : "not healthy (" + r.detail() + ")";
        Optional<ProcessHandle> embedded = Optional.empty();
        try {
            embedded = PidFiles.ours(layout.pidFile(s), layout.jar(s));
        } catch (CliException noHome) {
            // without an installation there is nothing embedded to report
        }
        return String.format("%-10s %-" + socketWidth + "s  %s%s", s.id(), layout.socket(s), state,
                embedded.map(h -> "  pid " + h.pid() + " (embedded)").orElse(""));
    }
}
