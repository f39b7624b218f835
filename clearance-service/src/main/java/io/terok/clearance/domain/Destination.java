package io.terok.clearance.domain;

/** Where a task tried to connect: the unit an operator allows or denies. */
public record Destination(String ip, int port, String protocol) {
    @Override
    public String toString() {
        return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port + "/" + protocol;
    }
}
