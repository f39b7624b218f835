package io.terok.gate.https;

import java.util.Arrays;

/**
 * Where the gate gets the credential for one fetch or push of a project's https upstream: in the service, the vault's
 * {@code GetGitCredential} ({@link VaultCredentialSource}). Asked only when the upstream answers 401, for that one
 * operation; the gate keeps it nowhere.
 */
public interface CredentialSource {
    /**
     * @param url the project's https upstream
     * @param purpose "sync" or "forward" (the vault audits it)
     * @throws io.terok.common.ServiceException (precondition) naming the cause and the command that fixes it
     */
    Credential get(String project, String url, String purpose);

    /** HTTP Basic credentials for {@code host} (host:port) only; {@link #clear()} wipes the password. */
    record Credential(String provider, String host, String username, char[] password) {
        public void clear() {
            Arrays.fill(password, '\0');
        }

        @Override
        public String toString() {
            return "Credential[provider=" + provider + ", host=" + host + ", username=" + username + "]";
        }
    }
}
