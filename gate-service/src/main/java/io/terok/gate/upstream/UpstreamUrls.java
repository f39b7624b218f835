package io.terok.gate.upstream;

import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.net.URI;
import java.util.regex.Pattern;

/** The upstream URLs a project may have, and which transport reaches each. */
public final class UpstreamUrls {
    private UpstreamUrls() {
    }

    /** scp-like ssh: {@code user@host:path} (a user is required, so that nothing else reads as ssh). */
    private static final Pattern SCP = Pattern.compile("([A-Za-z0-9_][A-Za-z0-9._-]{0,63})@([A-Za-z0-9][A-Za-z0-9.-]{0,252}):([^:/-].*|/.+)");
    private static final Pattern SSH_HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\\[[0-9A-Fa-f:.]+\\]");
    private static final Pattern SSH_USER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");

    /** Whether the gate reaches this (validated) upstream over http(s). */
    public static boolean isHttp(String url) {
        return url != null && (url.regionMatches(true, 0, "https://", 0, 8) || url.regionMatches(true, 0, "http://", 0, 7));
    }

    /** Whether the gate reaches this (validated) upstream over ssh, with the vault's agent. */
    public static boolean isSsh(String url) {
        return url != null && (url.regionMatches(true, 0, "ssh://", 0, 6) || SCP.matcher(url).matches());
    }

    /**
     * Upstream URLs the gate fetches from: file:// with an absolute path, http(s)://, ssh://[user@]host[:port]/path and
     * the scp-like user@host:path (ssh goes through the vault's agent; see {@code io.terok.gate.ssh}). Host and user are
     * checked strictly: they end up on ssh's command line.
     */
    public static String validate(String field, String url) {
        if (url == null || url.isEmpty()) {
            return "";
        }
        if (url.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw ServiceException.invalid(field, "must not contain control characters");
        }
        if (SCP.matcher(url).matches()) {
            return url;
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw ServiceException.invalid(field, "'" + Printable.line(url) + "' is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        switch (scheme) {
            case "file" -> {
                if (uri.getPath() == null || !uri.getPath().startsWith("/") || uri.getPath().contains("/../")
                        || (uri.getHost() != null && !uri.getHost().isEmpty())) {
                    throw ServiceException.invalid(field, "file URLs must be file:///absolute/path");
                }
            }
            case "http", "https" -> {
                if (uri.getHost() == null || uri.getHost().isEmpty()) {
                    throw ServiceException.invalid(field, "'" + Printable.line(url) + "' has no host");
                }
                if (uri.getRawUserInfo() != null) {
                    // A credential in the URL would end up in the project's metadata, logs and messages.
                    throw ServiceException.invalid(field, "must not carry a user or password (" + scheme + "://USER@...): store the"
                            + " upstream's token in the vault instead (`terok vault add github`, `terok vault add gitlab`, or a provider"
                            + " with terok.vault.providers.NAME.git-hosts); see docs/gate.md");
                }
            }
            case "ssh" -> {
                String host = uri.getHost();
                if (host == null || !SSH_HOST.matcher(host).matches()) {
                    throw ServiceException.invalid(field, "'" + Printable.line(url) + "': expected ssh://[user@]host[:port]/path with a plain host name or address");
                }
                if (uri.getUserInfo() != null && !SSH_USER.matcher(uri.getUserInfo()).matches()) {
                    throw ServiceException.invalid(field, "'" + Printable.line(url) + "': the user must be [A-Za-z0-9_][A-Za-z0-9._-]* (no password)");
                }
                if (uri.getPath() == null || uri.getPath().length() < 2 || uri.getQuery() != null || uri.getFragment() != null) {
                    throw ServiceException.invalid(field, "'" + Printable.line(url) + "': no repository path");
                }
            }
            default -> throw ServiceException.invalid(field, "'" + Printable.line(url) + "': expected file:///path, https://, http://, ssh://[user@]host[:port]/path or user@host:path");
        }
        return url;
    }
}
