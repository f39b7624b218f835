package io.terok.service;

import io.quarkus.runtime.annotations.StaticInitSafe;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.source.yaml.YamlConfigSource;
import io.terok.common.TerokPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.eclipse.microprofile.config.spi.ConfigSourceProvider;

/**
 * Adds terok's two configuration layers to every service: computed path defaults below
 * application.properties (root vs rootless differ, so they cannot be static), and the operator's
 * {@code config.yaml} above it. {@code TEROK_*} environment variables stay on top of both.
 *
 * <p>Both layers are runtime-only (issue 15 item 14). Quarkus also builds its configuration while it builds
 * the service jar, and records every runtime property it sees then as a runtime default in the generated
 * classes: the builder's {@code config.yaml} (a provider's upstream, a credential path) and the builder's
 * computed directories would ship inside the jar and apply on every host that lacks its own value. So while
 * Quarkus builds (a frame of {@code io.quarkus.deployment} on the stack: the build-time configuration reader;
 * those classes are not in a built service at all) only the fixed, host-independent settings are given.
 */
@StaticInitSafe // some beans (the gate's servlet) read terok.* while Quarkus is still in static init
public class TerokConfigSourceProvider implements ConfigSourceProvider {
    static final int DEFAULTS_ORDINAL = 100;
    static final int OPERATOR_FILE_ORDINAL = 260;
    /** Name of the computed path defaults' source (what {@code ConfigValue.getConfigSourceName()} reports). */
    public static final String PATH_DEFAULTS = "terok-path-defaults";

    @Override
    public Iterable<ConfigSource> getConfigSources(ClassLoader forClassLoader) {
        List<ConfigSource> sources = new ArrayList<>();
        sources.add(new PropertiesConfigSource(Map.of(
                // One config.yaml serves all five services, so each must accept the others' terok.* keys.
                "smallrye.config.mapping.validate-unknown", "false",
                // Virtual threads need Java 21; on 17 Quarkus warns at every start that it uses platform threads.
                "quarkus.log.category.\"io.quarkus.virtual-threads\".level", "ERROR"), "terok-fixed-defaults", DEFAULTS_ORDINAL));
        if (quarkusIsBuilding()) {
            return sources;
        }
        TerokPaths paths = TerokPaths.current();
        sources.add(new PropertiesConfigSource(Map.of(
                "terok.runtime-dir", paths.runtimeDir().toString(),
                "terok.data-dir", paths.dataDir().toString(),
                "terok.state-dir", paths.stateDir().toString(),
                "terok.config-dir", paths.configDir().toString()), PATH_DEFAULTS, DEFAULTS_ORDINAL));
        Path file = paths.configFile();
        if (Files.isReadable(file)) {
            try {
                sources.add(new YamlConfigSource(file.toUri().toURL(), OPERATOR_FILE_ORDINAL));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return sources;
    }

    /** True while Quarkus builds a service (its build-time configuration reader is the caller). */
    static boolean quarkusIsBuilding() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getClassName().startsWith("io.quarkus.deployment.")));
    }
}
