package io.terok.gate;

import io.quarkus.arc.Unremovable;
import io.quarkus.runtime.LaunchMode;
import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.gate.https.HttpsAccess;
import io.terok.gate.https.UpstreamTls;
import io.terok.gate.https.VaultCredentialSource;
import io.terok.gate.repo.Maintenance;
import io.terok.gate.repo.Mirror;
import io.terok.gate.repo.Projects;
import io.terok.gate.ssh.SshAccess;
import io.terok.gate.ssh.VaultAgentSource;
import io.terok.gate.token.TokenStore;
import io.terok.gate.upstream.Upstreams;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** The gate's parts wired from configuration, and the composition call runtime-service makes (task tokens). */
@ApplicationScoped
@Unremovable // looked up by the servlet, which Undertow creates
public class GateService {
    private static final Logger LOG = Logger.getLogger(GateService.class);
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\[\\]-]{1,253}");

    /** What a task gets: its token, the clone URL it uses, the env that makes `git` work, the port to open. */
    public record TaskAccess(String token, String cloneUrl, Map<String, String> env, List<Integer> hostPorts) {
    }

    private final Projects projects;
    private final Maintenance maintenance;
    private final Mirror mirror;
    private final TokenStore tokens;

    @Inject
    public GateService(@ConfigProperty(name = "terok.data-dir") Path dataDir,
            @ConfigProperty(name = "terok.runtime-dir") Path runtimeDir,
            /* Backups older than this many days are pruned at sync; 0 keeps them forever. */
            @ConfigProperty(name = "terok.gate.backup-retention-days", defaultValue = "30") int retentionDays,
            /* The OpenSSH client that carries ssh upstreams (with the vault's agent). */
            @ConfigProperty(name = "terok.gate.ssh", defaultValue = "ssh") String ssh,
            /* PEM certificates trusted for https upstreams besides the JDK's (a git server with a private CA). */
            @ConfigProperty(name = "terok.gate.upstream-ca-file") Optional<Path> upstreamCaFile,
            /* Larger repositories are not repacked by the service (its heap is small); see Maintenance. */
            @ConfigProperty(name = "terok.gate.maintenance.max-objects", defaultValue = "300000") long maintenanceMaxObjects) {
        this.projects = new Projects(dataDir.resolve("gate"));
        this.maintenance = new Maintenance(projects, maintenanceMaxObjects);
        UpstreamTls tls = upstreamCaFile.map(UpstreamTls::withCaFile).orElseGet(UpstreamTls::jdk);
        Upstreams upstreams = new Upstreams(new HttpsAccess(new VaultCredentialSource(runtimeDir), tls),
                new SshAccess(new VaultAgentSource(runtimeDir), ssh));
        this.mirror = new Mirror(projects, Duration.ofDays(retentionDays), upstreams, maintenance);
        this.tokens = new TokenStore(dataDir.resolve("gate"));
    }

    public Projects projects() {
        return projects;
    }

    public Mirror mirror() {
        return mirror;
    }

    public Maintenance maintenance() {
        return maintenance;
    }

    @PreDestroy
    void stop() {
        maintenance.close();
    }

    public TokenStore tokens() {
        return tokens;
    }

    /** The port the git server actually listens on (the configured one, or the random one in tests). */
    public int httpPort() {
        String key = LaunchMode.current() == LaunchMode.TEST ? "quarkus.http.test-port" : "quarkus.http.port";
        return ConfigProvider.getConfig().getValue(key, Integer.class);
    }

    public TaskAccess mint(String taskId, String project, String hostAddress) {
        Ids.taskId("task_id", taskId);
        Ids.project("project", project);
        String host = hostAddress("host_address", hostAddress);
        projects.meta(project);
        int port = httpPort();
        String token = tokens.mint(taskId, project);
        String base = "http://" + host + ":" + port + "/";
        String url = base + project + ".git";
        String basic = Base64.getEncoder().encodeToString(("terok-task:" + token).getBytes(StandardCharsets.UTF_8));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TEROK_GATE_URL", url);
        env.put("TEROK_GATE_TOKEN", token);
        env.put("TEROK_GATE_PROJECT", project);
        // `git` sends the token to the gate (and only there) without prompts, and nothing is written to a file.
        env.put("GIT_CONFIG_COUNT", "1");
        env.put("GIT_CONFIG_KEY_0", "http." + base + ".extraHeader");
        env.put("GIT_CONFIG_VALUE_0", "Authorization: Basic " + basic);
        env.put("GIT_TERMINAL_PROMPT", "0");
        LOG.infof("minted a gate token for task %s (project %s, %s)", taskId, project, url);
        return new TaskAccess(token, url, env, List.of(port));
    }

    public int revoke(String taskId) {
        Ids.taskId("task_id", taskId);
        int n = tokens.revoke(taskId);
        if (n > 0) {
            LOG.infof("revoked %d gate token(s) of task %s", n, taskId);
        }
        return n;
    }

    /** Where the task reaches the host's loopback: an IP literal or host name, no port, no path. */
    private static String hostAddress(String field, String host) {
        if (host == null || host.isEmpty()) {
            return "127.0.0.1";
        }
        if (!HOST.matcher(host).matches()) {
            throw ServiceException.invalid(field, "'" + Printable.line(host) + "' is not an address or host name");
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
