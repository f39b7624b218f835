package io.terok.cli.agents;

import io.terok.agents.build.ImageInfo;
import io.terok.agents.build.PodmanImageBuilder;
import io.terok.agents.image.Layer;
import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Roster;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import picocli.CommandLine.Command;

/**
 * {@code terok agents}: the roster (shipped agents and the operator's own from {@code <config dir>/agents/}) with
 * each agent's pinned version, runtime and providers, and whether an agent layer built here carries that version.
 */
@Command(name = "agents", description = "List the agent roster: version, runtime, providers, and whether a built agent image carries it.")
public final class AgentsCommand extends Verb {
    @Override
    public Integer call() {
        Context ctx = ctx();
        Roster roster;
        try {
            roster = Roster.load(ctx.paths.configDir().resolve("agents"));
        } catch (ServiceException e) {
            throw new CliException(e.getMessage(), "fix or remove that file in " + ctx.paths.configDir().resolve("agents"));
        }
        Set<String> built = builtAgents();
        ctx.out.printf("%-10s %-12s %-8s %-28s %-9s %s%n", "AGENT", "VERSION", "RUNTIME", "PROVIDERS", "IN IMAGE", "NOTE");
        for (AgentDefinition a : roster.all()) {
            String inImage = built == null ? "?" : built.contains(a.pinned()) ? "yes" : "no";
            ctx.out.printf("%-10s %-12s %-8s %-28s %-9s %s%n", a.id(), Printable.line(a.install().version(), 12),
                    a.install().runtime().name().toLowerCase(), String.join(",", a.providers().keySet()), inImage,
                    a.untested() ? "untested: cannot be installed and run here" : "");
        }
        if (built == null) {
            ctx.err.println("(IN IMAGE unknown: podman did not answer)");
        }
        return 0;
    }

    /** Every {@code id@version} an agent layer in podman's storage carries; null when podman cannot be asked. */
    private static Set<String> builtAgents() {
        try {
            Set<String> out = new HashSet<>();
            for (ImageInfo i : new PodmanImageBuilder().list()) {
                if (i.kind() == Layer.Kind.L1 && i.agents() != null && !i.agents().isEmpty()) {
                    out.addAll(Arrays.asList(i.agents().split(",")));
                }
            }
            return out;
        } catch (ServiceException e) {
            return null;
        }
    }
}
