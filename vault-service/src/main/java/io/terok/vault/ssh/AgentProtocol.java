package io.terok.vault.ssh;

import java.util.List;

/**
 * The SSH agent protocol (draft-miller-ssh-agent) as the vault serves it to a task: a message is
 * {@code uint32 length, byte type, contents}. Only two requests are answered: REQUEST_IDENTITIES (the task
 * project's keys) and SIGN_REQUEST (ed25519; RSA with the rsa-sha2-256/512 flags). Everything else - adding or
 * removing identities, locking, smartcards, extensions, unknown types - gets SSH_AGENT_FAILURE, so a task can
 * neither plant keys nor see any outside its project. A message that does not parse is a protocol error: the
 * caller closes the connection.
 */
public final class AgentProtocol {
    /** OpenSSH's own agent caps messages at 256 KiB; a longer length field closes the connection. */
    public static final int MAX_MESSAGE = 256 * 1024;

    public static final int SSH_AGENT_FAILURE = 5;
    public static final int SSH_AGENTC_REQUEST_IDENTITIES = 11;
    public static final int SSH_AGENT_IDENTITIES_ANSWER = 12;
    public static final int SSH_AGENTC_SIGN_REQUEST = 13;
    public static final int SSH_AGENT_SIGN_RESPONSE = 14;

    /** What the agent of one task may use. */
    public interface Backend {
        /** The identities to list: public key blob and comment. Empty while the vault is locked. */
        List<Identity> identities();

        /**
         * Signs for the key with this public blob, or returns null to answer SSH_AGENT_FAILURE (unknown key, a SHA-1
         * RSA request, a locked vault). The backend audits each outcome.
         */
        byte[] sign(byte[] keyBlob, byte[] data, int flags);
    }

    public record Identity(byte[] publicBlob, String comment) {
    }

    private final Backend backend;

    public AgentProtocol(Backend backend) {
        this.backend = backend;
    }

    /**
     * Answers one request (type byte and contents, without the length) with one response (same shape).
     *
     * @throws SshWire.FormatException when the request does not follow its message format
     */
    public byte[] handle(byte[] request) {
        if (request.length == 0) {
            throw new SshWire.FormatException("an empty message");
        }
        SshWire.Reader r = new SshWire.Reader(request);
        int type = r.u8();
        switch (type) {
            case SSH_AGENTC_REQUEST_IDENTITIES -> {
                r.end();
                List<Identity> ids = backend.identities();
                SshWire.Writer w = new SshWire.Writer().u8(SSH_AGENT_IDENTITIES_ANSWER).u32(ids.size());
                ids.forEach(i -> w.string(i.publicBlob()).string(i.comment()));
                return w.bytes();
            }
            case SSH_AGENTC_SIGN_REQUEST -> {
                byte[] key = r.string();
                byte[] data = r.string();
                int flags = (int) r.u32();
                r.end();
                byte[] sig = backend.sign(key, data, flags);
                return sig == null ? failure() : new SshWire.Writer().u8(SSH_AGENT_SIGN_RESPONSE).string(sig).bytes();
            }
            default -> {
                return failure();
            }
        }
    }

    public static byte[] failure() {
        return new byte[] {SSH_AGENT_FAILURE};
    }

    /** Prefixes a message with its length. */
    public static byte[] frame(byte[] message) {
        return new SshWire.Writer().string(message).bytes();
    }
}
