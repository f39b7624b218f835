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
 */
@StaticInitSafe // some beans (the gate's servlet) read terok.* while Quarkus is still in static init
public class TerokConfigSourceProvider implements ConfigSourceProvider {
    static final int DEFAULTS_ORDINAL = 100;
    static final int OPERATOR_FILE_ORDINAL = 260;

    @Override
    public Iterable<ConfigSource> getConfigSources(ClassLoader forClassLoader) {
        TerokPaths paths = TerokPaths.current();
        List<ConfigSource> sources = new ArrayList<>();
        sources.add(new PropertiesConfigSource(Map.of(
                "terok.runtime-dir", paths.runtimeDir().toString(),
                "terok.data-dir", paths.dataDir().toString(),
                "terok.state-dir", paths.stateDir().toString(),
                "terok.config-dir", paths.configDir().toString(),
                // One config.yaml serves all five services, so each must accept the others' terok.* keys.
                "smallrye.config.mapping.validate-unknown", "false",
                // Virtual threads need Java 21; on 17 Quarkus warns at every start that it uses platform threads.
                "quarkus.log.category.\"io.quarkus.virtual-threads\".level", "ERROR"), "terok-path-defaults", DEFAULTS_ORDINAL));
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
}
