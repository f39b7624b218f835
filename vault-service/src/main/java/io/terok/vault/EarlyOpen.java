package io.terok.vault;

import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.PathConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.terok.service.TerokConfigSourceProvider;
import io.terok.vault.passphrase.TierSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.jboss.logging.Logger;

/**
 * The unlock at start's slow steps (the tier chain, SQLCipher's key derivation: {@link TierOpen}) begun from
 * {@code main()}, beside Quarkus's boot, instead of at its StartupEvent: they took the last 0.1-0.15 s before health.
 * The vault's settings are read early from the same configuration sources the service uses; the service's own unlock
 * at start ({@link VaultBeans}) adopts the outcome only when its configuration gives the same database file and tier
 * settings, and otherwise closes what was opened and runs the chain itself. A held vault ({@code terok panic}) asks no
 * tier early. Whatever fails in reading the settings early leaves the service's own unlock to run as before.
 */
public final class EarlyOpen {
    private static final Logger LOG = Logger.getLogger(EarlyOpen.class);
    private static final AtomicReference<CompletableFuture<EarlyOpen>> STARTED = new AtomicReference<>();

    private final Path file;
    private final TierSettings settings;
    private final TierOpen outcome;

    private EarlyOpen(Path file, TierSettings settings, TierOpen outcome) {
        this.file = file;
        this.settings = settings;
        this.outcome = outcome;
    }

    /**
     * Claims the unlock at start for an early run now (so the service's unlock waits for it rather than racing it) and
     * returns that run, for a thread of the caller's.
     */
    public static Runnable begin() {
        return begin(EarlyOpen::config);
    }

    static Runnable begin(Supplier<VaultConfig> config) {
        CompletableFuture<EarlyOpen> run = new CompletableFuture<>();
        STARTED.set(run);
        return () -> {
            EarlyOpen done = null;
            try {
                done = run(config.get());
            } catch (RuntimeException | LinkageError e) {
                // not begun: the service's own unlock at start runs the chain and explains any failure
            } finally {
                run.complete(done);
            }
        };
    }

    /** The early run for these settings; null when there is none (the vault is held). */
    static EarlyOpen run(VaultConfig config) {
        Path file = VaultBeans.databaseFile(config);
        TierSettings settings = VaultBeans.tierSettings(config);
        if (Files.exists(VaultSeal.holdFile(file))) {
            return null; // held by `terok panic`: no tier is asked at start
        }
        return new EarlyOpen(file, settings, TierOpen.run(settings.chain(file, System.getenv()), file));
    }

    /**
     * For the service's unlock at start: the early outcome (waited for) when it was for {@code file} and
     * {@code settings}; empty when there was none or it was for other ones (what it opened is closed then).
     */
    static Optional<TierOpen> take(Path file, TierSettings settings) {
        CompletableFuture<EarlyOpen> run = STARTED.getAndSet(null);
        EarlyOpen e = run == null ? null : run.join();
        if (e == null) {
            return Optional.empty();
        }
        if (!e.file.equals(file) || !e.settings.equals(settings)) {
            e.outcome.discard();
            LOG.warnf("the unlock begun at start read other settings than the service's (%s); unlocking again", e.file);
            return Optional.empty();
        }
        return Optional.of(e.outcome);
    }

    /** The vault's settings from the service's own configuration sources, before Quarkus has built its configuration. */
    static VaultConfig config() {
        List<ConfigSource> terok = new ArrayList<>();
        new TerokConfigSourceProvider().getConfigSources(EarlyOpen.class.getClassLoader()).forEach(terok::add);
        return config(terok);
    }

    /** The vault's settings from the environment, the system properties and {@code sources}. */
    static VaultConfig config(List<ConfigSource> sources) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .addDefaultSources() // environment and system properties, as Quarkus has them
                .withSources(sources)
                // Quarkus's converters for the two types it reads differently from plain SmallRye ("30s", paths)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(Path.class, 200, new PathConverter())
                .withMapping(VaultConfig.class)
                .build();
        return config.getConfigMapping(VaultConfig.class);
    }
}
