package io.terok.gate.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.BlobObjectChecker;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.TagBuilder;
import org.eclipse.jgit.lib.TreeFormatter;
import org.junit.jupiter.api.Test;

/** When the pack alone answers the connectivity question, and every case where it must not claim to. */
class PackReferencesTest {
    private final ObjectInserter.Formatter ids = new ObjectInserter.Formatter();
    private final PersonIdent who = new PersonIdent("Agent", "agent@example.invalid", Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC);

    private final byte[] blobData = "hello\n".getBytes(StandardCharsets.UTF_8);
    private final ObjectId blob = ids.idFor(Constants.OBJ_BLOB, blobData);
    private final byte[] treeData = tree(FileMode.REGULAR_FILE, blob);
    private final ObjectId tree = ids.idFor(Constants.OBJ_TREE, treeData);
    private final byte[] commitData = commit(tree);
    private final ObjectId commit = ids.idFor(Constants.OBJ_COMMIT, commitData);

    private byte[] tree(FileMode mode, ObjectId id) {
        TreeFormatter f = new TreeFormatter();
        f.append("file", mode, id);
        return f.toByteArray();
    }

    private byte[] commit(ObjectId treeId, ObjectId... parents) {
        CommitBuilder c = new CommitBuilder();
        c.setTreeId(treeId);
        c.setParentIds(parents);
        c.setAuthor(who);
        c.setCommitter(who);
        c.setMessage("m\n");
        try {
            return c.build();
        } catch (java.io.UnsupportedEncodingException e) {
            throw new AssertionError(e);
        }
    }

    private static void streamBlob(PackReferences refs, ObjectId id, byte[] data) throws CorruptObjectException {
        BlobObjectChecker b = refs.newBlobObjectChecker();
        b.update(data, 0, data.length);
        b.endBlob(id);
    }

    private PackReferences wholeHistory() throws CorruptObjectException {
        PackReferences refs = new PackReferences();
        streamBlob(refs, blob, blobData);
        refs.check(tree, Constants.OBJ_TREE, treeData);
        refs.check(commit, Constants.OBJ_COMMIT, commitData);
        return refs;
    }

    @Test
    void aPackHoldingEverythingItRefersToIsSelfContained() throws Exception {
        assertTrue(wholeHistory().selfContained(3, List.of(commit)));
    }

    @Test
    void aBlobCheckedWholeCountsLikeAStreamedOne() throws Exception {
        PackReferences refs = new PackReferences();
        refs.check(blob, Constants.OBJ_BLOB, blobData);
        refs.check(tree, Constants.OBJ_TREE, treeData);
        refs.check(commit, Constants.OBJ_COMMIT, commitData);
        assertTrue(refs.selfContained(3, List.of(commit)));
    }

    @Test
    void aMissingBlobLeavesItToTheWalk() throws Exception {
        PackReferences refs = new PackReferences();
        refs.check(tree, Constants.OBJ_TREE, treeData);
        refs.check(commit, Constants.OBJ_COMMIT, commitData);
        assertFalse(refs.selfContained(2, List.of(commit)));
    }

    @Test
    void aParentOutsideThePackLeavesItToTheWalk() throws Exception {
        PackReferences refs = wholeHistory();
        byte[] child = commit(tree, ObjectId.fromString("1111111111111111111111111111111111111111"));
        ObjectId childId = ids.idFor(Constants.OBJ_COMMIT, child);
        refs.check(childId, Constants.OBJ_COMMIT, child);
        assertFalse(refs.selfContained(4, List.of(childId)));
    }

    @Test
    void aParentInsideThePackIsFine() throws Exception {
        PackReferences refs = wholeHistory();
        byte[] child = commit(tree, commit);
        ObjectId childId = ids.idFor(Constants.OBJ_COMMIT, child);
        refs.check(childId, Constants.OBJ_COMMIT, child);
        assertTrue(refs.selfContained(4, List.of(childId)));
    }

    @Test
    void objectsTheCheckerNeverSawLeaveItToTheWalk() throws Exception {
        // A thin pack: the parser appended bases from the repository, which fsck does not see again.
        assertFalse(wholeHistory().selfContained(4, List.of(commit)));
    }

    @Test
    void aTipOutsideThePackLeavesItToTheWalk() throws Exception {
        assertFalse(wholeHistory().selfContained(3, List.of(ObjectId.fromString("2222222222222222222222222222222222222222"))));
    }

    @Test
    void aReferenceOfTheWrongTypeLeavesItToTheWalk() throws Exception {
        PackReferences refs = new PackReferences();
        byte[] wrong = tree(FileMode.REGULAR_FILE, tree); // a "file" entry naming a tree
        ObjectId wrongId = ids.idFor(Constants.OBJ_TREE, wrong);
        streamBlob(refs, blob, blobData);
        refs.check(tree, Constants.OBJ_TREE, treeData);
        refs.check(wrongId, Constants.OBJ_TREE, wrong);
        assertFalse(refs.selfContained(3, List.of(wrongId)));
    }

    @Test
    void submoduleLinksNeedNothingInThePack() throws Exception {
        PackReferences refs = new PackReferences();
        byte[] withLink = tree(FileMode.GITLINK, ObjectId.fromString("3333333333333333333333333333333333333333"));
        ObjectId linkTree = ids.idFor(Constants.OBJ_TREE, withLink);
        byte[] c = commit(linkTree);
        ObjectId cId = ids.idFor(Constants.OBJ_COMMIT, c);
        refs.check(linkTree, Constants.OBJ_TREE, withLink);
        refs.check(cId, Constants.OBJ_COMMIT, c);
        assertTrue(refs.selfContained(2, List.of(cId)));
    }

    @Test
    void aTagNeedsItsTargetWithTheTypeItNames() throws Exception {
        TagBuilder t = new TagBuilder();
        t.setObjectId(commit, Constants.OBJ_COMMIT);
        t.setTag("v1");
        t.setTagger(who);
        t.setMessage("v1\n");
        byte[] tag = t.build();
        ObjectId tagId = ids.idFor(Constants.OBJ_TAG, tag);

        PackReferences complete = wholeHistory();
        complete.check(tagId, Constants.OBJ_TAG, tag);
        assertTrue(complete.selfContained(4, List.of(tagId)));

        PackReferences alone = new PackReferences();
        alone.check(tagId, Constants.OBJ_TAG, tag);
        assertFalse(alone.selfContained(1, List.of(tagId)));
    }

    @Test
    void anObjectSeenTwiceLeavesItToTheWalk() throws Exception {
        PackReferences refs = wholeHistory();
        refs.check(tree, Constants.OBJ_TREE, treeData);
        assertFalse(refs.selfContained(4, List.of(commit)));
    }

    @Test
    void itStillRefusesWhatFsckRefuses() {
        byte[] bad = "tree nonsense\n".getBytes(StandardCharsets.US_ASCII);
        assertThrows(CorruptObjectException.class,
                () -> new PackReferences().check(ids.idFor(Constants.OBJ_COMMIT, bad), Constants.OBJ_COMMIT, bad));
    }
}
