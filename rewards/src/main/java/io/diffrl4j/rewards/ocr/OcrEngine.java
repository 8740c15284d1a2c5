package io.diffrl4j.rewards.ocr;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Reads the text in an image: the lines it recognises, in reading order, each with a confidence.
 * Implementations must be safe to call from several threads at once (the trainer scores rewards
 * off its own thread) and release native resources on {@link #close()}.
 */
public interface OcrEngine extends AutoCloseable {
    /**
     * @param image the image, any size and colour type
     * @return the recognised lines; empty when there is no text
     * @throws IllegalStateException when the engine fails or is closed
     */
    List<OcrLine> read(BufferedImage image);

    /** Releases the engine's native resources; later reads fail. */
    @Override
    void close();
}
