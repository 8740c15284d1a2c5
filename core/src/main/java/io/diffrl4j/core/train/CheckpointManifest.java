package io.diffrl4j.core.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A checkpoint's {@code manifest.sha256}: the SHA-256 of every other file in it, one
 * {@code <hex>  <relative path>} line each (the format {@code sha256sum -c} checks). It is written
 * last, so a checkpoint without one is incomplete; verifying it before anything is read catches
 * a flipped bit anywhere and confines every path to the checkpoint's folder.
 */
final class CheckpointManifest {
    static final String FILE = "manifest.sha256";
    /** More than any checkpoint holds (a few files per adapter set); bounds a hostile manifest. */
    private static final int MAX_ENTRIES = 10_000;
    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64})  ([A-Za-z0-9_.\\-/]{1,512})");

    private CheckpointManifest() {}

    /**
     * Hashes every regular file under {@code folder}, flushes each to disk, and writes the
     * manifest (flushed too).
     */
    static void write(Path folder) throws IOException {
        StringBuilder out = new StringBuilder();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
        for (Path f : files) {
            force(f);
            out.append(sha256(f)).append("  ").append(relative(folder, f)).append('\n');
        }
        Path manifest = folder.resolve(FILE);
        Files.writeString(manifest, out, StandardCharsets.UTF_8);
        force(manifest);
    }

    /**
     * Checks every listed file against its hash.
     *
     * @return the listed paths (relative, '/'-separated) and their hashes
     * @throws IOException naming the checkpoint and the file at fault: the manifest missing or
     *     malformed, a path leaving the folder or not a plain file, a file missing or changed
     */
    static Map<String, String> verify(Path folder) throws IOException {
        Path manifest = folder.resolve(FILE);
        if (!Files.isRegularFile(manifest, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("checkpoint " + folder + " has no " + FILE + " (written last, so the checkpoint is "
                    + "incomplete, or was not written by this version of DiffRL4J)");
        }
        if (Files.size(manifest) > MAX_ENTRIES * 600L) {
            throw new IOException(manifest + " is " + Files.size(manifest) + " bytes, too large for a checkpoint manifest");
        }
        String text = new String(Files.readAllBytes(manifest), StandardCharsets.UTF_8);
        Map<String, String> entries = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty()) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new IOException(manifest + " line " + lineNo + " is not '<sha256 hex>  <relative path>'");
            }
            String rel = m.group(2);
            Path file = confined(folder, rel, manifest, lineNo);
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("checkpoint " + folder + " lacks " + rel + " (listed in " + FILE + ")");
            }
            String actual = sha256(file);
            if (!actual.equals(m.group(1))) {
                throw new IOException("checkpoint file " + file + " is corrupt: its SHA-256 is " + actual + ", "
                        + FILE + " recorded " + m.group(1));
            }
            entries.put(rel, m.group(1));
            if (entries.size() > MAX_ENTRIES) {
                throw new IOException(manifest + " lists more than " + MAX_ENTRIES + " files");
            }
        }
        return entries;
    }

    private static Path confined(Path folder, String rel, Path manifest, int lineNo) throws IOException {
        for (String part : rel.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IOException(manifest + " line " + lineNo + " names '" + rel + "', which leaves the checkpoint folder "
                        + "or is not a plain relative path");
            }
        }
        Path file = folder.resolve(rel).normalize();
        if (!file.startsWith(folder.normalize())) {
            throw new IOException(manifest + " line " + lineNo + " names '" + rel + "', outside the checkpoint folder");
        }
        // No component may be a link: a link could lead outside the folder.
        Path p = folder;
        for (String part : rel.split("/")) {
            p = p.resolve(part);
            if (Files.isSymbolicLink(p)) {
                throw new IOException("checkpoint path " + p + " is a symbolic link; a checkpoint holds plain files only");
            }
        }
        return file;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
        }
        StringBuilder hex = new StringBuilder(64);
        for (byte b : md.digest()) {
            hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return hex.toString();
    }

    private static String relative(Path folder, Path file) {
        StringBuilder s = new StringBuilder();
        for (Path part : folder.relativize(file)) {
            if (s.length() > 0) {
                s.append('/');
            }
            s.append(part);
        }
        return s.toString();
    }

    /** Flushes a file's content to the disk, so a renamed checkpoint survives a power loss too. */
    static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Flushes a folder's entries (a rename) where the platform allows it; a no-op elsewhere. */
    static void forceFolder(Path folder) {
        try (FileChannel ch = FileChannel.open(folder, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every platform can open a folder; the rename itself is still atomic
        }
    }
}
