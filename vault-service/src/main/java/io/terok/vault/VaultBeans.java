package io.terok.vault;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import io.terok.service.ServiceReadiness;
import io.terok.vault.broker.AuditLog;
import io.terok.vault.broker.RouteTable;
import io.terok.vault.broker.TaskRequestLimiter;
import io.terok.vault.broker.TokenBroker;
import io.terok.vault.git.GitCredentials;
import io.terok.vault.git.GitHosts;
import io.terok.vault.passphrase.PassphraseChain;
import io.terok.vault.passphrase.PassphraseTier;
import io.terok.vault.passphrase.TierSettings;
import io.terok.vault.ssh.GateAgents;
import io.terok.vault.ssh.SshAgents;
import io.terok.vault.ssh.SshKeyStore;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;

/** Wires the plain domain classes together from configuration. */
@ApplicationScoped
public class VaultBeans {
    private Vault vault;
    private AuditLog audit;
    private TokenBroker broker;
    private SshAgents agents;
    private GateAgents gateAgents;

    @Produces
    @Singleton
    Vault vault(VaultConfig config) {
        Path file = databaseFile(config);
        // Order: systemd-creds, the Secret Service, the kernel keyring cache, the command, the environment variable.
        PassphraseChain chain = tierSettings(config).chain(file, System.getenv());
        Map<String, RouteTable.Override> overrides = new LinkedHashMap<>();
        config.vault().providers().forEach((name, o) -> overrides.put(name,
                new RouteTable.Override(o.upstream(), o.authHeader(), o.authPrefix(), o.env(), o.oauthRefreshUrl(), o.oauthClientId(), o.rules())));
        vault = new Vault(file, chain, RouteTable.withOverrides(overrides), Clock.systemUTC());
        return vault;
    }

    static Path databaseFile(VaultConfig config) {
        return config.vault().database().orElse(config.dataDir().resolve("vault").resolve("credentials.db"));
    }

    static TierSettings tierSettings(VaultConfig config) {
        VaultConfig.Vault v = config.vault();
        return new TierSettings(v.systemdCredsName(), v.systemdCredsFile(), v.systemdCreds(), v.secretService(),
                v.secretServiceBus(), v.kernelKeyring(), v.keyctl(), v.passphraseCommand(), v.passphraseCommandTimeout(),
                v.passphraseEnv());
    }

    @Produces
    @Singleton
    VaultSetup setup(Vault vault, VaultConfig config) {
        return new VaultSetup(vault, tierSettings(config), config.dataDir().resolve("vault").resolve("passphrase.cred"),
                config.configDir().resolve("config.yaml"), System.getenv());
    }

    @Produces
    @Singleton
    AuditLog audit(VaultConfig config) {
        audit = new AuditLog(config.dataDir().resolve("vault").resolve("audit.jsonl"), config.vault().auditMaxFileBytes(),
                config.vault().auditRotatedFiles());
        return audit;
    }

    @Produces
    @Singleton
    TokenBroker broker(Vertx vertx, Vault vault, AuditLog audit, VaultConfig config) {
        broker = new TokenBroker(vertx, vault, audit, new TokenBroker.Settings(config.vault().maxRequestBytes(),
                config.vault().upstreamConnectTimeout(), config.vault().upstreamIdleTimeout(),
                config.vault().websocketMaxMessageBytes(), config.vault().oauthRefreshMargin(), config.vault().oauthRefreshTimeout(),
                new TaskRequestLimiter.Limits(config.vault().taskRequestRate(), config.vault().taskRequestBurst(),
                        config.vault().taskMaxInFlight()), config.vault().refusalAuditWindow(), config.vault().floodParkTime()));
        return broker;
    }

    @Produces
    @Singleton
    GitCredentials gitCredentials(Vault vault, AuditLog audit, VaultConfig config) {
        Map<String, GitHosts.Override> overrides = new LinkedHashMap<>();
        config.vault().providers().forEach((name, o) -> overrides.put(name, new GitHosts.Override(o.gitHosts(), o.gitUser())));
        return new GitCredentials(vault, GitHosts.of(vault.routes(), overrides), audit, Clock.systemUTC());
    }

    @Produces
    @Singleton
    SshKeyStore sshKeys(Vault vault) {
        return new SshKeyStore(vault.storage(), Clock.systemUTC());
    }

    @Produces
    @Singleton
    SshAgents sshAgents(Vault vault, SshKeyStore keys, AuditLog audit, VaultConfig config) {
        agents = new SshAgents(config.runtimeDir().resolve("vault-ssh"), keys, vault, audit, Clock.systemUTC());
        // Registered before the first unlock: the agents of live tasks come back as soon as the vault opens.
        vault.onUnlock(agents::restore);
        return agents;
    }

    @Produces
    @Singleton
    GateAgents gateAgents(Vault vault, SshKeyStore keys, AuditLog audit, VaultConfig config) {
        // Its own directory: SshAgents.restore() deletes what it does not know under vault-ssh/.
        gateAgents = new GateAgents(config.runtimeDir().resolve("vault-gate-ssh"), keys, vault, audit, Clock.systemUTC(),
                config.vault().gateAgentIdleTimeout(), config.vault().gateAgentMaxLifetime());
        return gateAgents;
    }

    /**
     * The unlock (passphrase tier, SQLCipher's key derivation, the caches' load) runs beside the server's start rather
     * than before its bind; health stays NOT_SERVING until it is over, and for good when it failed, until an unlock
     * succeeds (docs/reliability.md, "The vault's unlock at start").
     */
    void start(@Observes StartupEvent event, Vault vault, SshAgents agents, ServiceReadiness readiness, VaultConfig config) {
        ServiceReadiness.Hold unlock = readiness.hold("the vault's unlock");
        vault.onUnlock(unlock::ready); // an operator's later unlock after a failed one
        // begun from main() when the service was started as a service (VaultMain): adopted if for the same settings
        vault.unlockAtStart(() -> EarlyOpen.take(databaseFile(config), tierSettings(config)), failure -> {
            if (failure.isEmpty()) {
                unlock.ready();
            } else {
                unlock.failed(failure);
            }
        });
    }

    /** The broker's actual TCP port (tests bind a random one). */
    public static int brokerPort() {
        String key = LaunchMode.current() == LaunchMode.TEST ? "quarkus.http.test-port" : "quarkus.http.port";
        return ConfigProvider.getConfig().getOptionalValue(key, Integer.class).orElse(0);
    }

    @PreDestroy
    void close() {
        if (gateAgents != null) {
            gateAgents.close();
        }
        if (agents != null) {
            agents.close();
        }
        if (broker != null) {
            broker.close();
        }
        if (vault != null) {
            vault.close();
        }
        if (audit != null) {
            audit.close();
        }
    }
}
