package io.terok.gate.http;

import java.util.Collection;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.BlobObjectChecker;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.MutableObjectId;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectIdOwnerMap;

/**
 * JGit's fsck of a pushed pack (every object is checked as it is parsed, with JGit's default, strict settings),
 * which also notes which objects the pack holds and which objects they refer to (a commit's tree and parents, a
 * tree's entries except submodule links, a tag's target), each with the type the reference demands. From that,
 * {@link #selfContained} tells whether the pack alone satisfies every reference, so that the connectivity check
 * need not read all of it back from disk. One instance per push: it is not thread-safe.
 */
final class PackReferences extends ObjectChecker {
    /** One object the pack holds or refers to. */
    private static final class Node extends ObjectIdOwnerMap.Entry {
        /** The object's type if the pack holds it, else 0. */
        int held;
        /** The type a reference from the pack demands, else 0. */
        int wanted;

        Node(AnyObjectId id) {
            super(id);
        }
    }

    private static final byte[] PARENT = Constants.encodeASCII("parent ");
    private final ObjectIdOwnerMap<Node> nodes = new ObjectIdOwnerMap<>();
    private final MutableObjectId scratch = new MutableObjectId();
    private int held;
    /** Set on anything the shortcut does not reason about (contradicting references, a tag of an unknown type). */
    private boolean irregular;

    @Override
    public void check(AnyObjectId id, int objType, byte[] raw) throws CorruptObjectException {
        super.check(id, objType, raw);
        if (id == null) {
            irregular = true;
            return;
        }
        hold(id, objType);
        switch (objType) {
            case Constants.OBJ_COMMIT -> commitReferences(raw);
            case Constants.OBJ_TREE -> treeReferences(raw);
            case Constants.OBJ_TAG -> tagReference(raw);
            default -> {
                // blobs refer to nothing
            }
        }
    }

    /** Large blobs are streamed rather than checked whole: they are noted when their id is known. */
    @Override
    public BlobObjectChecker newBlobObjectChecker() {
        BlobObjectChecker inner = super.newBlobObjectChecker();
        return new BlobObjectChecker() {
            @Override
            public void update(byte[] in, int offset, int len) {
                if (inner != null) {
                    inner.update(in, offset, len);
                }
            }

            @Override
            public void endBlob(AnyObjectId id) throws CorruptObjectException {
                if (inner != null) {
                    inner.endBlob(id);
                }
                hold(id, Constants.OBJ_BLOB);
            }
        };
    }

    /**
     * True when every object in the pack went through this checker, and every reference from them names an object
     * of the demanded type that the pack itself holds, and so do the pushed tips: then nothing reachable from the
     * tips is outside the pack, which is what a full connectivity walk would conclude after reading it all back.
     * False says nothing about the push, only that the full walk must decide (thin packs, references to objects
     * already in the repository, anything unusual).
     */
    boolean selfContained(int objectsInPack, Collection<ObjectId> tips) {
        if (irregular || held != objectsInPack) {
            return false;
        }
        for (Node n : nodes) {
            if (n.wanted != 0 && n.held != n.wanted) {
                return false;
            }
        }
        for (ObjectId tip : tips) {
            Node n = nodes.get(tip);
            if (n == null || n.held == 0) {
                return false;
            }
        }
        return true;
    }

    private Node node(AnyObjectId id) {
        Node n = nodes.get(id);
        if (n == null) {
            n = new Node(id);
            nodes.add(n);
        }
        return n;
    }

    /**
     * Counts each object once (JGit's blob check may report a blob both ways): an object the pack holds twice then
     * leaves the count short of the pack's, which sends the push to the full walk.
     */
    private void hold(AnyObjectId id, int type) {
        Node n = node(id);
        if (n.held == 0) {
            n.held = type;
            held++;
        } else if (n.held != type) {
            irregular = true;
        }
    }

    private void want(AnyObjectId id, int type) {
        Node n = node(id);
        if (n.wanted != 0 && n.wanted != type) {
            irregular = true;
        }
        n.wanted = type;
    }

    // The layouts below have just passed fsck, so they are read without re-validating them.

    private void commitReferences(byte[] raw) {
        scratch.fromString(raw, 5); // "tree <hex>\n"
        want(scratch, Constants.OBJ_TREE);
        int p = 46;
        while (startsWith(raw, p, PARENT)) {
            scratch.fromString(raw, p + PARENT.length);
            want(scratch, Constants.OBJ_COMMIT);
            p += PARENT.length + Constants.OBJECT_ID_STRING_LENGTH + 1;
        }
    }

    private void treeReferences(byte[] raw) {
        int p = 0;
        while (p < raw.length) {
            int mode = 0;
            while (raw[p] != ' ') {
                mode = (mode << 3) + (raw[p++] - '0');
            }
            while (raw[++p] != 0) {
                // the entry's name
            }
            p++;
            int kind = mode & 0170000;
            if (kind != 0160000) { // a submodule link names a commit of another repository
                scratch.fromRaw(raw, p);
                want(scratch, kind == 0040000 ? Constants.OBJ_TREE : Constants.OBJ_BLOB);
            }
            p += Constants.OBJECT_ID_LENGTH;
        }
    }

    private void tagReference(byte[] raw) {
        scratch.fromString(raw, 7); // "object <hex>\ntype <type>\n"
        int t = 7 + Constants.OBJECT_ID_STRING_LENGTH + 1 + 5;
        int end = t;
        while (end < raw.length && raw[end] != '\n') {
            end++;
        }
        String type = new String(raw, t, end - t, java.nio.charset.StandardCharsets.US_ASCII);
        switch (type) {
            case Constants.TYPE_COMMIT -> want(scratch, Constants.OBJ_COMMIT);
            case Constants.TYPE_TREE -> want(scratch, Constants.OBJ_TREE);
            case Constants.TYPE_BLOB -> want(scratch, Constants.OBJ_BLOB);
            case Constants.TYPE_TAG -> want(scratch, Constants.OBJ_TAG);
            default -> irregular = true;
        }
    }

    private static boolean startsWith(byte[] raw, int p, byte[] prefix) {
        if (p + prefix.length > raw.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (raw[p + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
