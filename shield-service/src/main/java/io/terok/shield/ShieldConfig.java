package io.terok.shield;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "terok")
public interface ShieldConfig {
    Path runtimeDir();

    Path dataDir();

    Path stateDir();

    Path configDir();

    Shield shield();

    interface Shield {
        /** Per-task state root; default {@code <state dir>/shield}. Baked into the hook at install time. */
        Optional<Path> taskDir();

        /** Where the hook script and descriptors go; default {@code <data dir>/shield/hooks}. */
        Optional<Path> hooksDir();

        /**
         * The containers.conf drop-in registering the hooks dir; default
         * {@code /etc/containers/containers.conf.d/terok-shield.conf} as root,
         * {@code ~/.config/containers/containers.conf.d/terok-shield.conf} rootless.
         */
        Optional<Path> hooksRegistration();

        /** Profiles applied when a task names none. */
        @WithDefault("dev-standard")
        List<String> defaultProfiles();

        /** The resolver each task's forwarder asks; default: podman's (10.0.2.3 slirp4netns, 169.254.1.1 pasta). */
        Optional<String> upstreamDns();

        /** NFLOG group of the logged rules (blocked-connection events). */
        @WithDefault("100")
        int logGroup();

        /** How long an address learned through the DNS forwarder stays allowed. */
        @WithDefault("30m")
        String learnedTimeout();

        /** Size at which a task's audit log rotates (one previous file kept): at most twice this on disk. */
        @WithDefault("1048576")
        long auditMaxBytes();

        /** Size at which a task's dnsmasq query log rotates (one previous file kept). */
        @WithDefault("1048576")
        long dnsLogMaxBytes();

        /** Blocked-connection events for the same task and destination within this window are folded. */
        @WithDefault("30s")
        java.time.Duration eventWindow();
    }
}
