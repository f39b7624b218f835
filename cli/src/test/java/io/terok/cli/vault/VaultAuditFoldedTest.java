package io.terok.cli.vault;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.AuditEntry;
import org.junit.jupiter.api.Test;

/** A folded audit line (a flood's refusals past the first of a window) shows how many requests it stands for. */
class VaultAuditFoldedTest {
    @Test
    void aFoldedLineShowsItsCountAndAnOrdinaryOneDoesNot() {
        AuditEntry folded = AuditEntry.newBuilder().setTaskId("t1").setProvider("anthropic").setMethod("POST").setPath("/v1/messages")
                .setStatus(429).setOutcome("rate_limited_folded").setCount(5713).build();
        assertTrue(VaultAuditCommand.row(folded).contains("rate_limited_folded x5713"), VaultAuditCommand.row(folded));
        assertTrue(VaultAuditCommand.json(folded).contains("\"count\":5713"), VaultAuditCommand.json(folded));
        AuditEntry one = folded.toBuilder().setOutcome("rate_limited").setCount(1).build();
        assertFalse(VaultAuditCommand.row(one).contains(" x1"), VaultAuditCommand.row(one));
        assertFalse(VaultAuditCommand.json(one).contains("count"), VaultAuditCommand.json(one));
    }
}
