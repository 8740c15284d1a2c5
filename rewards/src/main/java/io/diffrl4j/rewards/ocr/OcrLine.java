package io.diffrl4j.rewards.ocr;

/**
 * One line of text an {@link OcrEngine} recognised.
 *
 * @param text the line's text, without a line terminator
 * @param confidence the engine's confidence in [0, 1]; the reward ignores lines at 0
 */
public record OcrLine(String text, double confidence) {
    /** Validates the fields. */
    public OcrLine {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
        if (!(confidence >= 0 && confidence <= 1)) {
            throw new IllegalArgumentException("confidence must be in [0, 1], got " + confidence);
        }
    }
}
