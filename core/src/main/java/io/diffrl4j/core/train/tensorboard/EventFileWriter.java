package io.diffrl4j.core.train.tensorboard;

import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one TensorBoard event file in a run folder: scalars and PNG images, each at a step. Point
 * {@code tensorboard --logdir} at the folder (or a folder above it, each run folder becoming a
 * run), or let Weights &amp; Biases ingest it with {@code wandb.init(sync_tensorboard=True)} or
 * {@code wandb sync}. The format is described in the {@linkplain io.diffrl4j.core.train.tensorboard
 * package documentation}.
 *
 * <p>Every {@link #open} makes a new file, named like TensorBoard's own writer does,
 * {@code events.out.tfevents.<unix seconds, 10 digits>.<host>.<pid>.<n><suffix>}: a resumed run adds
 * a file beside the old ones, and TensorBoard merges the files of a folder. Records are buffered;
 * {@link #flush} hands them to the OS (a crash before it loses them, after it at most a torn record
 * that readers skip by its CRC). Scalars are stored as {@code simple_value}, a float32, so values
 * keep about 7 significant digits. Methods are synchronized: a listener on the training thread and
 * an evaluation on another may share a writer.
 */
public final class EventFileWriter implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(EventFileWriter.class);
    /** Keeps two writers opened in the same second by one process apart, as TensorBoard's global uid does. */
    private static final AtomicInteger OPENED = new AtomicInteger();

    private final Path file;
    private final OutputStream stream;
    private final TfRecordWriter records;
    private boolean closed;

    private EventFileWriter(Path file, OutputStream stream) {
        this.file = file;
        this.stream = stream;
        this.records = new TfRecordWriter(stream);
    }

    /**
     * @param dir the run folder, created if needed
     * @return a writer of a new event file in it, whose first record (the file version) is already on disk
     * @throws IOException when the folder or file cannot be created or written
     */
    public static EventFileWriter open(Path dir) throws IOException {
        return open(dir, "");
    }

    /**
     * @param dir the run folder, created if needed
     * @param suffix appended to the file name (e.g. ".eval"); letters, digits, '.', '_' and '-' only
     * @return a writer of a new event file in it, whose first record (the file version) is already on disk
     * @throws IOException when the folder or file cannot be created or written
     */
    public static EventFileWriter open(Path dir, String suffix) throws IOException {
        if (!suffix.matches("[A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("an event file suffix takes letters, digits, '.', '_' and '-', got '"
                    + suffix + "'");
        }
        Files.createDirectories(dir);
        Instant now = Instant.now();
        String name = String.format(Locale.ROOT, "events.out.tfevents.%010d.%s.%d.%d%s", now.getEpochSecond(),
                hostName(), ProcessHandle.current().pid(), OPENED.getAndIncrement(), suffix);
        Path file = dir.resolve(name);
        OutputStream stream;
        try {
            stream = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE));
        } catch (IOException e) {
            throw new IOException("cannot create TensorBoard event file " + file + ": " + e.getMessage(), e);
        }
        EventFileWriter writer = new EventFileWriter(file, stream);
        try {
            writer.write(EventEncoder.fileVersion(wallTime(now)));
            writer.flush();
        } catch (IOException e) {
            writer.closeQuietly();
            throw e;
        }
        LOG.info("TensorBoard events go to {}", file);
        return writer;
    }

    /** @return the event file */
    public Path file() {
        return file;
    }

    /**
     * @param tag the series, '/' grouping it into a section (e.g. "reward/ocr/mean")
     * @param step the x coordinate
     * @param value stored as a float32; NaN and infinities are kept
     * @throws IOException when the file cannot be written
     */
    public void addScalar(String tag, long step, double value) throws IOException {
        Map<String, Double> one = new LinkedHashMap<>();
        one.put(tag, value);
        addScalars(step, one);
    }

    /**
     * Writes several scalars at one step as one event, as a merged TensorFlow summary does.
     *
     * @param step the x coordinate
     * @param values tag to value (stored as float32), in the order given; nothing is written when empty
     * @throws IOException when the file cannot be written
     */
    public synchronized void addScalars(long step, Map<String, Double> values) throws IOException {
        values.forEach((tag, value) -> {
            checkTag(tag);
            if (value == null) {
                throw new IllegalArgumentException("scalar '" + tag + "' has no value");
            }
        });
        if (!values.isEmpty()) {
            write(EventEncoder.scalars(wallTime(Instant.now()), step, values));
        }
    }

    /**
     * @param tag the image series (TensorBoard's Images tab shows one card per tag, with a step slider)
     * @param step the x coordinate
     * @param image the picture, stored as PNG (an image with alpha keeps it)
     * @throws IOException when the image cannot be encoded or the file written
     */
    public void addImage(String tag, long step, BufferedImage image) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", png)) {
            throw new IOException("no PNG encoder takes an image of type " + image.getType());
        }
        addImage(tag, step, png.toByteArray());
    }

    /**
     * @param tag the image series
     * @param step the x coordinate
     * @param png a PNG file's bytes (e.g. a grid already written to disk); its size and colour type
     *     are read from its header
     * @throws IOException when the file cannot be written
     * @throws IllegalArgumentException when the bytes are not a PNG
     */
    public synchronized void addImage(String tag, long step, byte[] png) throws IOException {
        checkTag(tag);
        PngHeader header = PngHeader.read(png);
        write(EventEncoder.image(wallTime(Instant.now()), step, tag, png, header));
    }

    /** @throws IOException when the buffered records cannot be written to the file */
    public synchronized void flush() throws IOException {
        checkOpen();
        try {
            stream.flush();
        } catch (IOException e) {
            throw failure(e);
        }
    }

    /** Flushes and closes the file; closing again does nothing. @throws IOException when that fails */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stream.close();
        } catch (IOException e) {
            throw failure(e);
        }
    }

    private void write(byte[] event) throws IOException {
        checkOpen();
        try {
            records.write(event);
        } catch (IOException e) {
            throw failure(e);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("TensorBoard event file " + file + " is closed");
        }
    }

    private IOException failure(IOException e) {
        return new IOException("cannot write TensorBoard event file " + file + ": " + e.getMessage(), e);
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            LOG.debug("closing {} after a failed write also failed", file, e);
        }
    }

    private static void checkTag(String tag) {
        if (tag == null || tag.isEmpty()) {
            throw new IllegalArgumentException("a TensorBoard tag must not be empty");
        }
    }

    private static double wallTime(Instant t) {
        return t.getEpochSecond() + t.getNano() / 1e9;
    }

    /** The host part of the file name, as TensorBoard's writer puts it, with path-unsafe characters replaced. */
    private static String hostName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException | SecurityException e) {
            host = "localhost";
        }
        String safe = host.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() ? "localhost" : safe;
    }
}
