package io.terok.shield.task;

import io.terok.shield.dns.ForwarderDomains;
import io.terok.shield.dns.TaskDnsForwarder;
import io.terok.shield.policy.Policy;
import io.terok.shield.policy.RulesetGenerator;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a task's policy together with everything generated from it that the OCI hook reads at every start: the
 * ruleset ({@code ruleset.nft}), the forwarder's {@code dnsmasq.conf} and the names to resolve at once
 * ({@code domains}). The policy goes last, so a failure on the way leaves the previous {@code policy.json}.
 */
final class PolicyFiles {
    private final TaskStore store;
    private final RulesetGenerator generator;
    private final TaskDnsForwarder forwarder;

    PolicyFiles(TaskStore store, RulesetGenerator generator, TaskDnsForwarder forwarder) {
        this.store = store;
        this.generator = generator;
        this.forwarder = forwarder;
    }

    void write(Policy p) {
        Path dir = store.ensureDir(p.taskId());
        store.write(p.taskId(), "ruleset.nft", generator.full(p));
        store.write(p.taskId(), "dnsmasq.conf", forwarder.config(p, dir));
        List<String> domains = ForwarderDomains.preResolved(p);
        store.write(p.taskId(), "domains", domains.isEmpty() ? "" : String.join("\n", domains) + "\n");
        store.savePolicy(p);
    }
}
