package io.diffrl4j.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Locates the reference fixtures (core's test resources, {@code fixtures/}: see the README there)
 * and reads their tensors. They come from the test classpath, so every module finds them the same
 * way: core's own tests see the folder {@code target/test-classes/fixtures}; another module sees
 * either that folder or, when the reactor has packaged core, the entries of core's test jar, which
 * are copied once per JVM into a temporary folder (removed at exit) because the readers want files.
 */
public final class Fixtures {
    /** The fixtures' folder on the classpath. */
    private static final String ROOT = "fixtures";
    /** A file that is always there, to find the folder by. */
    private static final String MARKER = "/" + ROOT + "/README.md";

    private static Path dir;

    private Fixtures() {}

    /** @return the fixtures folder; fails the test when the fixtures are not on the classpath */
    public static synchronized Path dir() {
        if (dir == null) {
            dir = locate();
        }
        return dir;
    }

    /** @param relative a path under the fixtures folder @return the absolute path */
    public static Path file(String relative) {
        return dir().resolve(relative);
    }

    /**
     * Reads a small F32 safetensors file with DJL's own decoder.
     *
     * @param relative a path under the fixtures folder
     * @param manager owner of the arrays
     * @return name to array
     */
    public static Map<String, NDArray> tensors(String relative, NDManager manager) {
        try {
            NDList list = NDList.decode(manager, Files.readAllBytes(file(relative)));
            Map<String, NDArray> out = new LinkedHashMap<>();
            list.forEach(a -> out.put(a.getName(), a));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path locate() {
        URL marker = Fixtures.class.getResource(MARKER);
        if (marker == null) {
            throw new IllegalStateException("reference fixtures not on the test classpath: " + MARKER
                    + " (core/src/test/resources" + MARKER + ", reached through core's test jar)");
        }
        try {
            URI uri = marker.toURI();
            if ("file".equals(uri.getScheme())) {
                return Path.of(uri).getParent();
            }
            if ("jar".equals(uri.getScheme())) {
                return extract(uri);
            }
            throw new IllegalStateException("reference fixtures at an unreadable location: " + uri);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("reference fixtures at an unreadable location: " + marker, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the reference fixtures out of " + marker, e);
        }
    }

    /** Copies the fixtures folder out of the jar that holds {@code markerUri} into a temporary folder. */
    private static Path extract(URI markerUri) throws IOException {
        Path target = Files.createTempDirectory("diffrl4j-fixtures");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(target), "delete-fixtures-copy"));
        FileSystem jar;
        boolean opened;
        try {
            jar = FileSystems.newFileSystem(markerUri, Map.of());
            opened = true;
        } catch (FileSystemAlreadyExistsException e) {
            jar = FileSystems.getFileSystem(markerUri);
            opened = false;
        }
        try {
            Path source = jar.provider().getPath(markerUri).getParent();
            List<Path> entries;
            try (Stream<Path> walk = Files.walk(source)) {
                entries = walk.collect(Collectors.toList());
            }
            for (Path entry : entries) {
                Path copy = target.resolve(source.relativize(entry).toString());
                if (Files.isDirectory(entry)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(entry, copy);
                }
            }
        } finally {
            if (opened) {
                jar.close();
            }
        }
        return target;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at JVM exit: a left-over copy in the temporary folder harms nothing
        }
    }
}
