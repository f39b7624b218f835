package io.terok.vault.broker;

import io.terok.vault.Vault;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Keeps OAuth access tokens fresh: a credential with a refresh token and an expiry is refreshed when it is within
 * the margin of its expiry, by POSTing {@code grant_type=refresh_token&refresh_token=…} (plus {@code client_id} when
 * the route has one) to the route's token endpoint. The new access token, refresh token (the old one is kept when the
 * endpoint sends none) and expiry are stored in the vault before anyone uses them. One refresh per credential at a
 * time: every request that needs it waits for the same one (single flight). A failure becomes a 502
 * {@code oauth_refresh_failed} whose message names the cause, never the refresh token or an access token.
 */
final class OAuthRefresher {
    private static final Logger LOG = Logger.getLogger(OAuthRefresher.class);

    private final Vertx vertx;
    private final HttpClient client;
    private final Vault vault;
    private final Duration margin;
    private final Duration timeout;
    private final Map<String, Future<Vault.Credential>> inflight = new ConcurrentHashMap<>();

    OAuthRefresher(Vertx vertx, HttpClient client, Vault vault, Duration margin, Duration timeout) {
        this.vertx = vertx;
        this.client = client;
        this.vault = vault;
        this.margin = margin;
        this.timeout = timeout;
    }

    private boolean refreshable(Vault.Credential c) {
        return c.oauth() && c.refreshToken() != null && c.expiresAt() != null;
    }

    private boolean due(Vault.Credential c) {
        return refreshable(c) && c.expiresAt() - margin.toMillis() <= System.currentTimeMillis();
    }

    /** The credential to use now, refreshed first if it is due (the future completes on the caller's context). */
    Future<Vault.Credential> current(Vault.Credential c, ProviderRoute route) {
        if (!due(c)) {
            return Future.succeededFuture(c);
        }
        if (route.oauthRefreshUrl() == null) {
            if (c.expiresAt() <= System.currentTimeMillis()) {
                return Future.failedFuture(new TokenBroker.Refused(502, "oauth_refresh_failed", "the OAuth access token for "
                        + c.provider() + " (set " + c.credentialSet() + ") expired at " + Instant.ofEpochMilli(c.expiresAt())
                        + " and terok.vault.providers." + c.provider() + ".oauth-refresh-url is not set: set it, or store a"
                        + " fresh token with `terok vault add " + c.provider() + "`"));
            }
            return Future.succeededFuture(c);
        }
        String key = c.credentialSet() + "\0" + c.provider();
        Promise<Vault.Credential> mine = Promise.promise();
        Future<Vault.Credential> running = inflight.putIfAbsent(key, mine.future());
        if (running != null) {
            return onCaller(running);
        }
        // This request owns the refresh. A refresh that finished since the caller read the credential has already
        // stored its result, so read it again before deciding.
        Vault.Credential latest = vault.credential(c.credentialSet(), c.provider()).orElse(c);
        Future<Vault.Credential> work = due(latest) ? refresh(latest, route) : Future.succeededFuture(latest);
        work.onComplete(ar -> {
            inflight.remove(key, mine.future());
            mine.handle(ar);
        });
        return onCaller(mine.future());
    }

    private static <T> Future<T> onCaller(Future<T> f) {
        Context ctx = Vertx.currentContext();
        if (ctx == null) {
            return f;
        }
        Promise<T> p = Promise.promise();
        f.onComplete(ar -> ctx.runOnContext(v -> p.handle(ar)));
        return p.future();
    }

    private record Tokens(String access, String refresh, Long expiresAt) {
    }

    private Future<Vault.Credential> refresh(Vault.Credential c, ProviderRoute route) {
        URI url = route.oauthRefreshUrl();
        String where = url.getScheme() + "://" + url.getAuthority() + (url.getRawPath() == null ? "" : url.getRawPath());
        String what = "cannot refresh the OAuth access token for " + c.provider() + " (set " + c.credentialSet() + ") at " + where + ": ";
        StringBuilder form = new StringBuilder("grant_type=refresh_token&refresh_token=").append(enc(c.refreshToken()));
        if (route.oauthClientId() != null) {
            form.append("&client_id=").append(enc(route.oauthClientId()));
        }
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url.toString())
                .setTimeout(timeout.toMillis()).setConnectTimeout(timeout.toMillis())
                .putHeader("content-type", "application/x-www-form-urlencoded").putHeader("accept", "application/json");
        LOG.infof("refreshing the OAuth access token for %s (set %s): it expires %s", c.provider(), c.credentialSet(),
                Instant.ofEpochMilli(c.expiresAt()));
        Future<Tokens> tokens = client.request(o)
                .compose(req -> req.send(Buffer.buffer(form.toString())))
                .compose(resp -> resp.body().map(body -> parse(resp.statusCode(), body, c)));
        return tokens.transform(ar -> {
            if (ar.failed()) {
                String cause = ar.cause() instanceof Refusal r ? r.getMessage() : ar.cause().getClass().getSimpleName()
                        + (ar.cause().getMessage() == null ? "" : " " + ar.cause().getMessage());
                String message = what + sanitize(cause, c);
                LOG.warn(message);
                return Future.failedFuture(new TokenBroker.Refused(502, "oauth_refresh_failed", message));
            }
            Tokens t = ar.result();
            return vertx.executeBlocking(() -> vault.refreshed(c, t.access(), t.refresh(), t.expiresAt()), false)
                    .recover(e -> {
                        String message = what + "the new token could not be stored: " + sanitize(String.valueOf(e.getMessage()), c);
                        LOG.error(message);
                        return Future.failedFuture(new TokenBroker.Refused(502, "oauth_refresh_failed", message));
                    });
        });
    }

    /** A refusal from the token endpoint, already worded (no secrets). */
    private static final class Refusal extends RuntimeException {
        Refusal(String message) {
            super(message, null, false, false);
        }
    }

    private static Tokens parse(int status, Buffer body, Vault.Credential c) {
        JsonObject j = null;
        try {
            j = body.length() == 0 ? null : new JsonObject(body);
        } catch (RuntimeException e) {
            // not JSON
        }
        if (status < 200 || status > 299) {
            String detail = "";
            if (j != null && j.getValue("error") instanceof String error) {
                detail = " (" + error + (j.getValue("error_description") instanceof String d ? ": " + d : "") + ")";
            }
            throw new Refusal("the token endpoint answered HTTP " + status + detail);
        }
        if (j == null) {
            throw new Refusal("the token endpoint answered HTTP " + status + " without a JSON body");
        }
        if (!(j.getValue("access_token") instanceof String access) || access.isEmpty()) {
            throw new Refusal("the token endpoint's answer has no access_token");
        }
        String refresh = j.getValue("refresh_token") instanceof String r && !r.isEmpty() ? r : c.refreshToken();
        Long expires = j.getValue("expires_in") instanceof Number n ? System.currentTimeMillis() + n.longValue() * 1000 : null;
        return new Tokens(access, refresh, expires);
    }

    /** Never a token in a message: the refresh and access tokens are cut out, and the text is kept short. */
    private static String sanitize(String s, Vault.Credential c) {
        String out = s;
        if (c.refreshToken() != null && !c.refreshToken().isEmpty()) {
            out = out.replace(c.refreshToken(), "[refresh token]");
        }
        if (!c.secret().isEmpty()) {
            out = out.replace(c.secret(), "[access token]");
        }
        return out.length() > 300 ? out.substring(0, 300) + "…" : out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
