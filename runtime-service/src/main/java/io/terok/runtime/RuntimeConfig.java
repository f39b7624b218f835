package io.terok.runtime;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

@ConfigMapping(prefix = "terok")
public interface RuntimeConfig {
    Path runtimeDir();

    Path dataDir();

    Path stateDir();

    Path configDir();

    Podman podman();

    Runtime runtime();

    Services services();

    Projects projects();

    interface Projects {
        /** image.base of a new project that names none. */
        @WithDefault("docker.io/library/debian:bookworm")
        String defaultBaseImage();

        /**
         * Where each agent task's own agent configuration lives (mounted into its container); outside terok's own
         * directories, which no task may mount. Default: beside the data dir, {@code <data dir>-tasks}.
         */
        Optional<Path> taskConfigDir();

        /** Where the agents' npm packages are staged for image builds (outside any repository). */
        Optional<Path> stageDir();

        /**
         * Give the L0 and L2 build steps the network (apt-get/dnf for a base that lacks tools, a project's snippet).
         * Off by default: the build containers would use the host's resolver; agents never need it (L1 copies the
         * host's stage).
         */
        @WithDefault("false")
        boolean buildNetwork();
    }

    interface Podman {
        /** The podman API socket; the user's standard one when unset. */
        Optional<Path> socket();

        /** Start `podman system service` on our own socket when no API answers. */
        @WithDefault("true")
        boolean startService();

        /** Bound on every podman call (stop adds the grace period). */
        @WithDefault("30s")
        Duration callTimeout();
    }

    interface Runtime {
        /** Annotations a run spec may set; hook-selecting annotations are set only from shield's answer. */
        @WithDefault("io.terok.agent,io.terok.note")
        Set<String> allowedAnnotations();

        /**
         * More host paths no task may mount, beside terok's own directories and the podman socket. The Quadlet
         * deployment lists the host's terok and podman directories here: inside its container runtime's own
         * directories are container paths, while task volumes name host paths.
         */
        Optional<List<Path>> protectedPaths();

        /**
         * The CPU weight of all task containers together, as cgroup v1 cpu.shares (2-262144; podman's conversion gives
         * cgroup v2's cpu.weight), of their parent cgroup /terok-tasks: below the 1024 of a host thread (a session with
         * the kernel's autogroup), so under contention the tasks yield the CPU to terok's services. 0, the default,
         * turns it off: measured on a loaded machine it slowed the tasks and their launches more than it helped
         * (docs/benchmarks.md, "Ninth session"). Applied only with rootful cgroupfs podman
         * (io.terok.common.TasksCgroup); elsewhere tasks launch as without it and `terok doctor` says why.
         */
        @WithDefault("0")
        long tasksCpuShares();
    }

    interface Services {
        /** Deadline for each call to shield, vault, gate and clearance during launch and removal. */
        @WithDefault("5s")
        Duration deadline();
    }
}
