package io.terok.clearance;

import io.terok.clearance.domain.FirewallControl;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the verdicts clearance hands to shield (tests of clearance's own rules; shield is tested on its own). */
final class RecordingFirewall implements FirewallControl {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile RuntimeException failWith;

    @Override
    public void allow(String taskId, String ip, int port, String protocol) {
        record("allow " + taskId + " " + ip + " " + port + "/" + protocol);
    }

    @Override
    public void deny(String taskId, String target) {
        record("deny " + taskId + " " + target);
    }

    private void record(String call) {
        if (failWith != null) {
            throw failWith;
        }
        calls.add(call);
    }
}
