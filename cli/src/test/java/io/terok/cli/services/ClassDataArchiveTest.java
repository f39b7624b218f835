package io.terok.cli.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ArchiveRecording;
import io.terok.common.ServiceName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassDataArchiveTest {
    @TempDir
    Path dir;

    @Test
    void theFirstStartRecordsLaterStartsMapAndANewBuildRecordsAnew() throws Exception {
        Path app = Files.createDirectories(dir.resolve("gate-service/target/quarkus-app/lib/main"));
        Path jar = Files.writeString(app.getParent().resolve("quarkus-run.jar"), "jar");
        Files.writeString(app.resolve("x.jar"), "lib");
        Path cds = dir.resolve("state/cds");

        List<String> recording = ClassDataArchive.options(cds, ServiceName.GATE, jar, (String) null);
        String record = recording.get(0);
        assertTrue(record.startsWith("-XX:ArchiveClassesAtExit=" + cds.resolve("gate-")), record);
        Path archive = Path.of(record.substring(record.indexOf('=') + 1));
        // the recording run lists what it loads, and the service links those classes before its exit (ArchiveLinking)
        Path classes = archive.resolveSibling(archive.getFileName() + ".classes");
        assertTrue(recording.containsAll(List.of("-Xlog:class+load=info:file=" + classes + ":none",
                "-D" + ArchiveRecording.PROPERTY + "=" + classes)), recording.toString());
        assertEquals(record, ClassDataArchive.options(cds, ServiceName.GATE, jar, (String) null).get(0), "not written yet: record again");

        Files.writeString(archive, "archive"); // what the JVM writes at its exit
        Files.writeString(classes, "java.lang.Object source: jrt:/java.base\n");
        List<String> use = ClassDataArchive.options(cds, ServiceName.GATE, jar, (String) null);
        assertEquals(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"), use);
        assertFalse(Files.exists(classes), "the recording's class list is not kept once the archive is there");

        Files.setLastModifiedTime(app.resolve("x.jar"), FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        String again = ClassDataArchive.options(cds, ServiceName.GATE, jar, (String) null).get(0);
        assertTrue(again.startsWith("-XX:ArchiveClassesAtExit="), "a new build records its own archive: " + again);
        assertFalse(again.endsWith(archive.toString()));
        assertFalse(Files.exists(archive), "the old build's archive is gone");
    }

    @Test
    void onJdk25TheServicesRecordAndMapAnAotCacheWhenAskedTo() throws Exception {
        Path app = Files.createDirectories(dir.resolve("vault-service/target/quarkus-app/lib/main"));
        Path jar = Files.writeString(app.getParent().resolve("quarkus-run.jar"), "jar");
        Path cds = dir.resolve("state/cds");
        ClassDataArchive.Format aot = ClassDataArchive.Format.of(Runtime.Version.parse("25.0.3"), "aot");

        String record = ClassDataArchive.options(cds, ServiceName.VAULT, jar, aot).get(0);
        assertTrue(record.startsWith("-XX:AOTCacheOutput=" + cds.resolve("vault-")) && record.endsWith(".aot"), record);
        Path cache = Path.of(record.substring(record.indexOf('=') + 1));
        Files.writeString(cache, "cache"); // what the JVM assembles at its exit
        assertFalse(String.join(" ", ClassDataArchive.options(cds, ServiceName.VAULT, jar, aot)).contains(ArchiveRecording.PROPERTY),
                "JDK 25 links what it caches itself");
        assertEquals(List.of("-XX:AOTCache=" + cache, "-Xlog:aot=off", "-Xlog:cds=off"),
                ClassDataArchive.options(cds, ServiceName.VAULT, jar, aot));
        // the default on 25 too (no faster, the vault larger); 17 has no AOT cache
        assertEquals(ClassDataArchive.Format.DYNAMIC_CDS, ClassDataArchive.Format.of(Runtime.Version.parse("25.0.3"), null));
        assertEquals(ClassDataArchive.Format.DYNAMIC_CDS, ClassDataArchive.Format.of(Runtime.Version.parse("17.0.15"), "aot"));

        // killed while assembling: the cache and JDK 25's training file are removed, the next start records anew
        Files.writeString(cache.resolveSibling(cache.getFileName() + ".config"), "training");
        ClassDataArchive.discard(cache);
        assertFalse(Files.exists(cache));
        assertFalse(Files.exists(cache.resolveSibling(cache.getFileName() + ".config")));
    }
}
