package io.terok.gate.http;

import org.eclipse.jgit.storage.file.WindowCacheConfig;
import io.terok.common.Printable;
import io.terok.gate.GateService;
import io.terok.gate.token.TokenStore.Grant;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.resolver.ServiceNotAuthorizedException;
import org.jboss.logging.Logger;

/**
 * Git smart HTTP for tasks: {@code /<project>.git/info/refs?service=...}, {@code /git-upload-pack},
 * {@code /git-receive-pack} and {@code /HEAD}; everything else is 404. Each request carries the task's gate token
 * with HTTP Basic (as user name or password). No or unreadable credentials: 401 with a challenge; an unknown or
 * revoked token, or another project's repository: 403. Refusals are text/plain, which git shows as
 * "remote: ..." lines.
 */
@WebServlet(urlPatterns = "/*", loadOnStartup = 1)
public class GateGitServlet extends GitServlet {
    private static final Logger LOG = Logger.getLogger(GateGitServlet.class);
    static final String REALM = "Basic realm=\"terok gate\"";
    private static final Pattern ROUTE = Pattern.compile(
            "/([a-z0-9][a-z0-9_.-]{0,62})\\.git(/info/refs|/git-upload-pack|/git-receive-pack|/HEAD)");

    private transient GateService gate;

    @Override
    public void init(ServletConfig config) throws ServletException {
        gate = CDI.current().select(GateService.class).get();
        // JGit's defaults (10 MiB of 8 KiB pack windows) make every clone of a large mirror re-read its pack;
        // bounded at 64 + 32 MiB of the heap, measured 1.20x -> 1.10x of git http-backend (docs/benchmarks.md).
        WindowCacheConfig cache = new WindowCacheConfig();
        cache.setPackedGitLimit(64 * WindowCacheConfig.MB);
        cache.setPackedGitWindowSize(64 * WindowCacheConfig.KB);
        cache.setDeltaBaseCacheLimit(32 * WindowCacheConfig.MB);
        cache.install();
        GitPacks packs = new GitPacks(gate.projects(), gate.maintenance());
        setRepositoryResolver(this::resolve);
        setUploadPackFactory(packs.uploads());
        setReceivePackFactory(packs.receives());
        super.init(config);
    }

    private Repository resolve(HttpServletRequest req, String name) throws ServiceNotAuthorizedException {
        Object g = req.getAttribute(GitPacks.GRANT);
        if (!(g instanceof Grant grant) || !name.equals(grant.project() + ".git")) {
            throw new ServiceNotAuthorizedException();
        }
        return gate.projects().open(grant.project());
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws ServletException, IOException {
        String path = req.getPathInfo() == null ? req.getServletPath() : req.getServletPath() + req.getPathInfo();
        Matcher m = ROUTE.matcher(path);
        String raw = req.getRequestURI() == null ? "" : req.getRequestURI();
        // Names need no escaping: an escaped or dotted raw path is someone probing for traversal.
        if (!m.matches() || path.contains("..") || raw.contains("%") || raw.contains("..") || !raw.equals(path)) {
            refuse(res, 404, "no such repository path: " + Printable.line(path));
            return;
        }
        String project = m.group(1);
        String endpoint = m.group(2);
        Optional<String[]> creds = basic(req.getHeader("Authorization"));
        if (creds.isEmpty()) {
            res.setHeader("WWW-Authenticate", REALM);
            refuse(res, 401, "authentication required: use the task's gate token (HTTP Basic, token as user or password)");
            return;
        }
        Optional<Grant> grant = gate.tokens().authenticate(creds.get()[0]).or(() -> gate.tokens().authenticate(creds.get()[1]));
        if (grant.isEmpty()) {
            LOG.warnf("refused %s %s from %s: unknown or revoked gate token", req.getMethod(), Printable.line(path), req.getRemoteAddr());
            refuse(res, 403, "the gate token is unknown or has been revoked");
            return;
        }
        if (!grant.get().project().equals(project)) {
            LOG.warnf("refused %s %s: task %s's token opens only %s.git", req.getMethod(), Printable.line(path), grant.get().task(), grant.get().project());
            refuse(res, 403, "this task's token opens only " + grant.get().project() + ".git, not " + project + ".git");
            return;
        }
        if (!gate.projects().exists(project)) {
            refuse(res, 404, "repository " + project + ".git does not exist");
            return;
        }
        boolean post = endpoint.equals("/git-upload-pack") || endpoint.equals("/git-receive-pack");
        if (!req.getMethod().equals(post ? "POST" : "GET")) {
            res.setHeader("Allow", post ? "POST" : "GET");
            refuse(res, 405, req.getMethod() + " is not allowed on " + endpoint);
            return;
        }
        if (endpoint.equals("/info/refs")) {
            String service = req.getParameter("service");
            if (!"git-upload-pack".equals(service) && !"git-receive-pack".equals(service)) {
                refuse(res, 403, "only git's smart HTTP protocol is served (info/refs needs ?service=git-upload-pack or git-receive-pack)");
                return;
            }
        }
        req.setAttribute(GitPacks.GRANT, grant.get());
        super.service(req, res);
    }

    /** [user, password] of a Basic header, or empty when there is none or it cannot be read. */
    static Optional<String[]> basic(String header) {
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return Optional.of(colon < 0 ? new String[] {decoded, ""} : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)});
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static void refuse(HttpServletResponse res, int status, String message) throws IOException {
        res.setStatus(status);
        res.setContentType("text/plain; charset=UTF-8");
        res.setHeader("Cache-Control", "no-cache");
        byte[] body = ("terok gate: " + message + "\n").getBytes(StandardCharsets.UTF_8);
        res.setContentLength(body.length);
        res.getOutputStream().write(body);
    }
}
