package io.terok.cli.image;

import io.terok.agents.build.CleanupReport;
import io.terok.agents.build.ImageInfo;
import io.terok.agents.build.PodmanImageBuilder;
import io.terok.agents.image.Layer;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code terok image ...}: the layered agent images (L0 base and tools, L1 agents, L2 project) in podman's storage,
 * found by their {@code io.terok.*} labels; which project owns which comes from {@link ProjectImages}.
 */
@Command(name = "image", description = "The agent images: list them, their disk use per layer and project, remove orphaned layers.",
        subcommands = {ImageCommand.ListImages.class, ImageCommand.Usage.class, ImageCommand.Cleanup.class})
public final class ImageCommand {
    static PodmanImageBuilder podman(Context ctx) {
        return new PodmanImageBuilder().env(ctx.env);
    }

    static List<ImageInfo> images(Context ctx) {
        try {
            return podman(ctx).list();
        } catch (ServiceException e) {
            throw new CliException(e.getMessage(), "is podman installed and working? `podman images` should answer");
        }
    }

    static ProjectImages projects(Context ctx, List<ImageInfo> images) {
        return new ProjectImages(images, ctx.paths.configDir().resolve("projects"));
    }

    /** Sizes as people read them: 1024-based, one decimal. */
    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String units = "KMGT";
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length() - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %siB", v, units.charAt(u));
    }

    @Command(name = "list", description = "Every terok layer (or a project's image and the layers under it): kind, tag, size it adds, containers, project or agents.")
    static final class ListImages extends Verb {
        @Parameters(arity = "0..1", paramLabel = "PROJECT", description = "Only this project's images and the layers they are built on.")
        String project;

        @Override
        public Integer call() {
            Context ctx = ctx();
            List<ImageInfo> all = images(ctx);
            ProjectImages p = projects(ctx, all);
            List<ImageInfo> shown = project == null ? all : p.of(project);
            if (shown.isEmpty()) {
                ctx.out.println("no terok images here (they are built when a project's image is first needed)");
                return 0;
            }
            ctx.out.printf("%-5s %-44s %10s %10s %-10s %s%n", "LAYER", "IMAGE", "ADDS", "TOTAL", "CONTAINERS", "PROJECT / AGENTS");
            for (ImageInfo i : shown) {
                String what = i.kind() == Layer.Kind.L2 ? Printable.line(String.valueOf(i.project()))
                        + (p.live(i.project()) ? "" : " (project gone)")
                        : i.kind() == Layer.Kind.L1 ? Printable.line(String.valueOf(i.agents()), 200)
                        : "base " + (i.parent() == null ? "?" : Printable.line(i.parent(), 80));
                ctx.out.printf("%-5s %-44s %10s %10s %-10d %s%n", i.kind(), Printable.line(i.name(), 44), human(i.ownSize()),
                        human(i.size()), i.containers(), what);
            }
            return 0;
        }
    }

    @Command(name = "usage", description = "Disk used by terok layers: per layer kind and per project (shared layers counted once in the total).")
    static final class Usage extends Verb {
        @Override
        public Integer call() {
            Context ctx = ctx();
            List<ImageInfo> all = images(ctx);
            ProjectImages p = projects(ctx, all);
            Map<Layer.Kind, long[]> perKind = new TreeMap<>();
            long total = 0;
            for (ImageInfo i : all) {
                long[] c = perKind.computeIfAbsent(i.kind(), k -> new long[2]);
                c[0]++;
                c[1] += i.ownSize();
                total += i.ownSize();
            }
            ctx.out.printf("%-8s %6s %10s%n", "LAYER", "IMAGES", "DISK");
            for (Layer.Kind k : Layer.Kind.values()) {
                long[] c = perKind.getOrDefault(k, new long[2]);
                ctx.out.printf("%-8s %6d %10s%n", k, c[0], human(c[1]));
            }
            ctx.out.printf("%-8s %6d %10s%n", "total", all.size(), human(total));
            if (!p.projects().isEmpty()) {
                ctx.out.println();
                ctx.out.printf("%-32s %10s %10s%n", "PROJECT", "OWN (L2)", "WITH SHARED");
                for (String project : p.projects()) {
                    long own = 0;
                    long with = 0;
                    for (ImageInfo i : p.of(project)) {
                        with += i.ownSize();
                        if (i.kind() == Layer.Kind.L2) {
                            own += i.ownSize();
                        }
                    }
                    ctx.out.printf("%-32s %10s %10s%n", Printable.line(project, 32), human(own), human(with));
                }
            }
            return 0;
        }
    }

    @Command(name = "cleanup", description = "Remove orphaned terok layers: not under a project's current image and not used by any container (running or stopped).")
    static final class Cleanup extends Verb {
        @Option(names = "--dry-run", description = "Only say what would be removed.")
        boolean dryRun;

        @Override
        public Integer call() {
            Context ctx = ctx();
            PodmanImageBuilder podman = podman(ctx);
            List<ImageInfo> all = images(ctx);
            CleanupReport r;
            try {
                r = podman.cleanup(projects(ctx, all).currentTags(), dryRun);
            } catch (ServiceException e) {
                throw new CliException("nothing removed: " + e.getMessage(), "is podman working? `podman ps -a` should answer");
            }
            String verb = dryRun ? "would remove" : "removed";
            long freed = 0;
            for (ImageInfo i : r.removed()) {
                freed += i.ownSize();
                ctx.out.printf("%s %s %s (%s)%n", verb, i.kind(), Printable.line(i.name(), 80), human(i.ownSize()));
            }
            for (String f : r.failed()) {
                ctx.err.println("podman refused to remove " + f);
            }
            ctx.out.printf("%s %d orphaned layer(s), %s; kept %d%n", verb, r.removed().size(), human(freed), r.kept().size());
            return r.failed().isEmpty() ? 0 : 1;
        }
    }
}
